import { normaliseEntryName, unsafePathReason } from './archive-paths';
import type { AllowedEntryType } from './entry-types';

/**
 * Linux refuses longer paths and symlink targets (PATH_MAX, <linux/limits.h>), so no unpacking
 * needs them; refusing them also bounds the work each entry costs here.
 */
export const MAX_PATH_BYTES = 4096;

/**
 * Files and folders the tree may hold, folders implied by deeper paths included: 10,000 entries
 * 2,000 folders deep would otherwise make twenty million.
 */
export const MAX_TREE_NODES = 200_000;

/** Archives list a folder's entries together; remembering a few recent folders skips most walks. */
const RECENT_FOLDERS = 64;

/**
 * Linux gives up on a path after following 40 symlinks (MAXSYMLINKS, path_resolution(7)); a
 * target that needs more is refused, so loops end.
 */
const MAX_LINK_HOPS = 40;

interface Node {
  readonly kind: 'directory' | 'file' | 'symlink';
  /** The entry's path as the archive spells it (normalised), for messages. */
  readonly path: string;
  readonly name: string;
  readonly parent?: Node;
  readonly target?: string;
  /** Under each folded name, every spelling the archive used for it. */
  readonly children?: Map<string, Node[]>;
}

/** Where a path leads: the nodes from the top down, undefined for a part the archive never made. */
type Place = readonly (Node | undefined)[];
type Resolution = Place | 'outside' | 'loop';

/**
 * Case-insensitive file systems (macOS, Windows) unpack `D` and `d` to the same place, so a
 * symlink is found under any spelling of its path.
 */
const fold = (name: string): string =>
  (/^[\x20-\x7e]*$/.test(name) ? name.toLowerCase() : name.normalize('NFC').toUpperCase().toLowerCase());

const directory = (path: string, name: string, parent?: Node): Node => ({ kind: 'directory', path, name, children: new Map(), ...(parent ? { parent } : {}) });

/**
 * The tree an archive unpacks to, built entry by entry in archive order, as `tar x` would build it
 * in an empty folder. It refuses every way an entry could make an unpacking write or point
 * outside that folder:
 * - an entry written through a symlink (`d -> .` then `d/l -> ..`): tar would follow `d`;
 * - a name that is already taken (other than a folder repeated), as when a folder is replaced by
 *   a link and later entries then write through it, or a symlink whose name differs from another
 *   entry's only in case or Unicode normalisation;
 * - a hard link to anything but an earlier regular file: a hard link to a symlink is that symlink
 *   at a new place, where its relative target means something else;
 * - a symlink whose target, followed through the links in the tree as the kernel follows them,
 *   leaves the folder (absolute targets, `..` past the top, `..` out of a link to the top such as
 *   `d -> .` then `l -> d/..`). Symlinks are resolved once the whole archive is read (finish),
 *   because a later link can change where an earlier one leads.
 * Work per entry grows with its path's length, which MAX_PATH_BYTES caps.
 */
export class ArchiveTree {
  private readonly root = directory('', '');
  private readonly symlinks: Node[] = [];
  /**
   * Folders by path. A folder can never turn into a symlink later (that name is taken), so a
   * remembered one needs no new walk.
   */
  private readonly recentFolders = new Map<string, Node>();
  private nodeCount = 0;

  /**
   * Records one entry (its path normalised and already free of `..` and absolute forms). Returns
   * why it is refused, worded to follow "Entry 'name'", or undefined.
   */
  add(path: string, type: AllowedEntryType, linkname: string): string | undefined {
    if (path === '') return type === 'directory' ? undefined : 'would replace the folder the bundle unpacks into';
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `has a path longer than ${MAX_PATH_BYTES} bytes`;
    const cut = path.lastIndexOf('/');
    const name = path.slice(cut + 1);
    const folder = cut < 0 ? this.root : this.folder(path.slice(0, cut));
    if (typeof folder === 'string') return folder;
    const parent = folder;
    const spellings = parent.children?.get(fold(name)) ?? [];
    const existing = spellings.find((node) => node.name === name);
    if (existing) return existing.kind === 'directory' && type === 'directory' ? undefined : 'appears twice in the archive';
    const other = spellings[0];
    if (other && (type === 'symlink' || spellings.some((node) => node.kind === 'symlink'))) {
      return `and '${other.path}' are the same path on case-insensitive file systems, and one of them is a symlink`;
    }

    if (type === 'link') {
      const refusal = this.hardLinkRefusal(linkname);
      if (refusal) return refusal;
    }
    if (type === 'symlink') {
      const refusal = symlinkTargetRefusal(linkname);
      if (refusal) return refusal;
      const node: Node = { kind: 'symlink', path, name, parent, target: linkname };
      this.symlinks.push(node);
      return this.attach(parent, node);
    }
    return this.attach(parent, type === 'directory' ? directory(path, name, parent) : { kind: 'file', path, name, parent });
  }

  /** The folder at `path`, made (with those above it) if the archive has not named it yet, or why not. */
  private folder(path: string): Node | string {
    const recent = this.recentFolders.get(path);
    if (recent) return recent;
    let folder = this.root;
    for (const part of path.split('/')) {
      const spellings = folder.children?.get(fold(part)) ?? [];
      const link = spellings.find((node) => node.kind === 'symlink');
      if (link) return `would be written through the symlink '${link.path}'`;
      let next = spellings.find((node) => node.name === part);
      if (next && next.kind !== 'directory') return `sits under '${next.path}', which is not a folder`;
      if (!next) {
        next = directory(folder === this.root ? part : `${folder.path}/${part}`, part, folder);
        const refusal = this.attach(folder, next);
        if (refusal) return refusal;
      }
      folder = next;
    }
    if (this.recentFolders.size >= RECENT_FOLDERS) this.recentFolders.delete(this.recentFolders.keys().next().value as string);
    this.recentFolders.set(path, folder);
    return folder;
  }

  /**
   * Follows every symlink through the whole tree. Returns why one is refused, as a full sentence,
   * or undefined. Each link is followed once: where it leads is remembered.
   */
  finish(): string | undefined {
    const resolved = new Map<Node, Resolution | 'resolving'>();
    const places = new Map<Node, Place>();
    for (const link of this.symlinks) {
      const outcome = this.follow(link, this.placeOf(link, places), resolved, 0);
      if (outcome === 'outside') return `Entry '${link.path}' is a symlink that points outside the bundle (${link.target}, followed through the bundle's links)`;
      if (outcome === 'loop') return `Entry '${link.path}' is a symlink that leads through more than ${MAX_LINK_HOPS} links (${link.target})`;
    }
    return undefined;
  }

  private attach(parent: Node, node: Node): string | undefined {
    this.nodeCount += 1;
    if (this.nodeCount > MAX_TREE_NODES) return `makes the bundle's paths hold more than ${MAX_TREE_NODES} files and folders`;
    const key = fold(node.name);
    const spellings = parent.children?.get(key);
    if (spellings) spellings.push(node);
    else parent.children?.set(key, [node]);
    return undefined;
  }

  private hardLinkRefusal(linkname: string): string | undefined {
    const target = normaliseEntryName(linkname);
    const unsafe = unsafePathReason(target);
    if (unsafe) return `is a hard link whose target ${unsafe} (${linkname})`;
    if (Buffer.byteLength(target) > MAX_PATH_BYTES) return `is a hard link whose target is longer than ${MAX_PATH_BYTES} bytes`;
    let node: Node | undefined = this.root;
    for (const part of target.split('/')) node = node?.children?.get(fold(part))?.find((candidate) => candidate.name === part);
    return node?.kind === 'file' ? undefined : `is a hard link to '${linkname}', which is not an earlier file in the bundle`;
  }

  /** The folders from the top down to the one a link sits in, remembered per folder. */
  private placeOf(link: Node, places: Map<Node, Place>): Place {
    const folder = link.parent;
    if (!folder || folder === this.root) return [];
    let place = places.get(folder);
    if (!place) {
      const chain: Node[] = [];
      for (let node: Node | undefined = folder; node && node !== this.root; node = node.parent) chain.push(node);
      place = chain.reverse();
      places.set(folder, place);
    }
    return place;
  }

  /** Where a link leads, starting from the folder it sits in; `hops` links were followed to reach it. */
  private follow(link: Node, from: Place, resolved: Map<Node, Resolution | 'resolving'>, hops: number): Resolution {
    const known = resolved.get(link);
    if (known === 'resolving' || hops >= MAX_LINK_HOPS) return 'loop';
    if (known) return known;
    resolved.set(link, 'resolving');
    const outcome = this.walk(from, link.target ?? '', resolved, hops + 1);
    resolved.set(link, outcome);
    return outcome;
  }

  /** Follows a relative target from a folder, part by part, as the kernel would. */
  private walk(from: Place, target: string, resolved: Map<Node, Resolution | 'resolving'>, hops: number): Resolution {
    let place = [...from];
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (place.length === 0) return 'outside';
        place.pop();
        continue;
      }
      const folder = place.length === 0 ? this.root : place[place.length - 1];
      const spellings = folder?.children?.get(fold(part)) ?? [];
      const link = spellings.find((node) => node.kind === 'symlink');
      if (!link) {
        place.push(spellings.find((node) => node.name === part) ?? spellings[0]);
        continue;
      }
      const followed = this.follow(link, place, resolved, hops);
      if (typeof followed === 'string') return followed;
      place = [...followed];
    }
    return place;
  }
}

/** Why a symlink target is refused before it is followed, or undefined. */
function symlinkTargetRefusal(target: string): string | undefined {
  if (target === '') return 'is a symlink with an empty target';
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return `is a symlink that points outside the bundle (${target} is absolute)`;
  if (target.includes('\\')) return 'is a symlink whose target contains a backslash';
  if (target.includes('\0')) return 'is a symlink whose target contains a NUL byte';
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) return `is a symlink whose target is longer than ${MAX_PATH_BYTES} bytes`;
  return undefined;
}
