import { normaliseEntryName, unsafePathReason } from './archive-paths';
import type { AllowedEntryType } from './entry-types';

/**
 * Linux gives up on a path after following 40 symlinks (MAXSYMLINKS, path_resolution(7));
 * resolving a target here spends the same budget, so loops end.
 */
const MAX_LINK_HOPS = 40;

type Node =
  | { readonly kind: 'directory' | 'file'; readonly path: string }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

type Resolution = readonly string[] | 'outside' | 'loop';

/**
 * Case-insensitive file systems (macOS, Windows) unpack `D` and `d` to the same place, so a
 * symlink is found under any spelling of its path.
 */
const fold = (path: string): string => path.normalize('NFC').toUpperCase().toLowerCase();

const parentParts = (path: string): string[] => path.split('/').slice(0, -1);

/**
 * The tree an archive unpacks to, built entry by entry in archive order, as `tar x` would build it
 * in an empty folder. It refuses every way an entry could make an unpacking write or point
 * outside that folder:
 * - a symlink whose target, resolved through the links already in the tree, leaves it (absolute
 *   targets, `..` past the top, `..` out of a link to the top such as `d -> .` then `l -> d/..`);
 * - an entry written through a symlink (`d -> .` then `d/l -> ..`): tar would follow `d`;
 * - a hard link to anything but an earlier regular file: a hard link to a symlink is that symlink
 *   at a new place, where its relative target means something else;
 * - a name that is already taken (other than a folder repeated), as when a folder is replaced by
 *   a link and later entries then write through it, or a symlink whose name differs from another
 *   entry's only in case or Unicode normalisation.
 * Every symlink is resolved again against the final tree (finish), because a later link can
 * change where an earlier one leads.
 */
export class ArchiveTree {
  private readonly nodes = new Map<string, Node>();
  private readonly spellings = new Map<string, string>();
  private readonly symlinks = new Map<string, Extract<Node, { kind: 'symlink' }>>();

  /**
   * Records one entry (its path normalised and already free of `..` and absolute forms). Returns
   * why it is refused, worded to follow "Entry 'name'", or undefined.
   */
  add(path: string, type: AllowedEntryType, linkname: string): string | undefined {
    if (path === '') return type === 'directory' ? undefined : 'would replace the folder the bundle unpacks into';
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      const prefix = parts.slice(0, depth).join('/');
      const link = this.symlinks.get(fold(prefix));
      if (link) return `would be written through the symlink '${link.path}'`;
      const node = this.nodes.get(prefix);
      if (node && node.kind !== 'directory') return `sits under '${prefix}', which is not a folder`;
    }
    const existing = this.nodes.get(path);
    if (existing) return existing.kind === 'directory' && type === 'directory' ? undefined : 'appears twice in the archive';
    const sameSpelling = this.spellings.get(fold(path));
    if (sameSpelling !== undefined && (type === 'symlink' || this.symlinks.has(fold(path)))) {
      return `and '${sameSpelling}' are the same path on case-insensitive file systems, and one of them is a symlink`;
    }

    if (type === 'link') {
      const target = normaliseEntryName(linkname);
      const unsafe = unsafePathReason(target);
      if (unsafe) return `is a hard link whose target ${unsafe} (${linkname})`;
      if (this.nodes.get(target)?.kind !== 'file') return `is a hard link to '${linkname}', which is not an earlier file in the bundle`;
    }
    if (type === 'symlink') {
      const refusal = this.symlinkRefusal(path, linkname);
      if (refusal) return refusal;
    }

    for (let depth = 1; depth < parts.length; depth += 1) this.record({ kind: 'directory', path: parts.slice(0, depth).join('/') });
    if (type === 'symlink') {
      const node = { kind: 'symlink' as const, path, target: linkname };
      this.symlinks.set(fold(path), node);
      this.record(node);
    } else {
      this.record({ kind: type === 'directory' ? 'directory' : 'file', path });
    }
    return undefined;
  }

  /**
   * Resolves every symlink against the whole tree. Returns why one is refused, worded as a full
   * sentence, or undefined.
   */
  finish(): string | undefined {
    for (const link of this.symlinks.values()) {
      const refusal = this.symlinkRefusal(link.path, link.target);
      if (refusal) return `Entry '${link.path}' ${refusal}`;
    }
    return undefined;
  }

  private record(node: Node): void {
    if (this.nodes.has(node.path)) return;
    this.nodes.set(node.path, node);
    if (!this.spellings.has(fold(node.path))) this.spellings.set(fold(node.path), node.path);
  }

  private symlinkRefusal(path: string, target: string): string | undefined {
    if (target === '') return 'is a symlink with an empty target';
    if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return `is a symlink that points outside the bundle (${target} is absolute)`;
    if (target.includes('\\')) return 'is a symlink whose target contains a backslash';
    if (target.includes('\0')) return 'is a symlink whose target contains a NUL byte';
    const resolved = this.resolve(parentParts(path), target, { hops: 0 });
    if (resolved === 'outside') return `is a symlink that points outside the bundle (${target}, followed through the bundle's links)`;
    if (resolved === 'loop') return `is a symlink that leads through more than ${MAX_LINK_HOPS} links (${target})`;
    return undefined;
  }

  /** Follows `target` from the folder `from` as the kernel would, links included. */
  private resolve(from: readonly string[], target: string, budget: { hops: number }): Resolution {
    let stack = [...from];
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) return 'outside';
        stack.pop();
        continue;
      }
      const link = this.symlinks.get(fold([...stack, part].join('/')));
      if (!link) {
        stack.push(part);
        continue;
      }
      budget.hops += 1;
      if (budget.hops > MAX_LINK_HOPS) return 'loop';
      const followed = this.resolve(stack, link.target, budget);
      if (typeof followed === 'string') return followed;
      stack = [...followed];
    }
    return stack;
  }
}
