/**
 * Whether an archive path is metadata macOS adds when it archives a folder: AppleDouble files
 * (`._name`, which bsdtar writes beside each file with extended attributes unless
 * COPYFILE_DISABLE=1 is set), `__MACOSX/` folders (the Finder's zip) and Finder's `.DS_Store`.
 * Such entries are still checked like any other, but never count as the bundle's root, model
 * file, labels or params.
 */
export function isMacOsMetadata(path: string): boolean {
  const parts = path.split('/');
  const base = parts[parts.length - 1] ?? '';
  return base.startsWith('._') || base === '.DS_Store' || parts.includes('__MACOSX');
}
