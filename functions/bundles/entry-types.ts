import type { Header } from 'tar-stream';

/**
 * The tar entry types a bundle may hold, by tar-stream's names for the POSIX ustar typeflags
 * (IEEE Std 1003.1-2017, pax, "ustar Interchange Format"): '0' regular file, '5' directory,
 * '2' symbolic link and '1' hard link. Links pass only once resolved inside the bundle (see
 * archive-tree.ts). Extended headers (pax 'x'/'g', GNU 'L'/'K' long names) are not entries:
 * tar-stream applies them to the entry that follows.
 */
export const ALLOWED_ENTRY_TYPES = ['file', 'directory', 'symlink', 'link'] as const;

export type AllowedEntryType = (typeof ALLOWED_ENTRY_TYPES)[number];

const REFUSED_TYPES: Readonly<Record<string, string>> = {
  'contiguous-file': "a contiguous file (tar type '7')",
  'character-device': "a character device (tar type '3')",
  'block-device': "a block device (tar type '4')",
  fifo: "a FIFO (tar type '6')",
};

/** Typeflags tar-stream does not name (GNU tar manual, "Basic Tar Format" and "GNU Extensions"). */
const UNKNOWN_TYPES: Readonly<Record<string, string>> = {
  S: 'a GNU sparse file',
  D: 'a GNU dump directory',
  M: 'a GNU multi-volume continuation',
  V: 'a GNU volume label',
  N: 'a GNU old long name',
  X: 'a Solaris extended header',
};

const printable = (flag: string): string => (/^[\x21-\x7e]$/.test(flag) ? flag : `\\x${flag.charCodeAt(0).toString(16).padStart(2, '0')}`);

const isAllowed = (type: string): type is AllowedEntryType => (ALLOWED_ENTRY_TYPES as readonly string[]).includes(type);

/**
 * The entry's type if it is on the allow-list, else why it is refused (to follow "Entry 'name'").
 * `typeflag` is the raw type byte, for naming types tar-stream does not know. GNU sparse files are refused in both encodings: the old GNU typeflag 'S' (which tar-stream, like
 * every other type it does not know, reports as null) and PAX sparse formats 0.0-1.0, which look
 * like regular files but carry `GNU.sparse.*` keys (GNU tar manual, "Storing Sparse Files").
 * A directory or link that claims data is refused too: readers disagree on whether to skip it,
 * so what follows it could be read as data by one and as entries by another.
 */
export function checkEntryType(header: Header, typeflag?: string): { readonly type: AllowedEntryType } | { readonly refusal: string } {
  const type = header.type;
  if (type === null || type === undefined) {
    const known = typeflag === undefined ? undefined : UNKNOWN_TYPES[typeflag];
    const named = typeflag === undefined ? 'of a tar type' : known ? `${known} (tar type '${typeflag}'),` : `of tar type '${printable(typeflag)}',`;
    return { refusal: `is ${named} which MLHub does not accept; bundles may hold only files, folders, symlinks and hard links` };
  }
  if (!isAllowed(type)) {
    const described = REFUSED_TYPES[type] ?? `of tar type '${type}'`;
    return { refusal: `is ${described}; bundles may hold only files, folders, symlinks and hard links` };
  }
  const sparseKey = Object.keys(header.pax ?? {}).find((key) => key.startsWith('GNU.sparse.'));
  if (sparseKey !== undefined) return { refusal: `is a GNU sparse file (pax key ${sparseKey}); bundles may hold only files, folders, symlinks and hard links` };
  if (type !== 'file' && (header.size ?? 0) > 0) return { refusal: `is a ${type === 'link' ? 'hard link' : type} that claims ${header.size} bytes of data` };
  return { type };
}
