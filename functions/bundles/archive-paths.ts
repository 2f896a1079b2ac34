import { posix } from 'node:path';

/** `./mnist/model.onnx` → `mnist/model.onnx`; directories lose their trailing slash. */
export function normaliseEntryName(name: string): string {
  let path = name.replace(/^(\.\/)+/, '');
  while (path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** Why an entry path could write outside the folder it is unpacked into, or undefined if it cannot. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '' || path === '.') return undefined;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is an absolute path';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.split('/').includes('..')) return "contains '..'";
  return undefined;
}

/** Whether a symlink at `entryPath` pointing to `target` stays inside the archive's root. */
export function linkStaysInside(entryPath: string, target: string): boolean {
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(entryPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}
