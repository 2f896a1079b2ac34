/**
 * An entry name in the form every check compares: `./mnist//model.onnx` → `mnist/model.onnx`.
 * Empty and `.` segments go (tar unpacks them to the same place), directories lose their
 * trailing slash, the archive's own top folder (`./`) becomes '', and a leading `/` stays so that
 * unsafePathReason can refuse it.
 */
export function normaliseEntryName(name: string): string {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  return (name.startsWith('/') ? '/' : '') + parts.join('/');
}

/** Why an entry path could write outside the folder it is unpacked into, or undefined if it cannot. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is an absolute path';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.split('/').includes('..')) return "contains '..'";
  return undefined;
}
