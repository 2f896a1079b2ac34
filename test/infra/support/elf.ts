import { readFileSync } from 'node:fs';

/** ELF e_machine values for the architectures Lambda runs. */
export const ELF_MACHINE = { x64: 62, arm64: 183 } as const;

export interface ElfInfo {
  readonly machine: number;
  /** DT_NEEDED: the shared libraries the loader must find for this file. */
  readonly needed: readonly string[];
  /** DT_RUNPATH or DT_RPATH, where it looks first. */
  readonly runpath: string | undefined;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export const isElf = (file: string): boolean => readFileSync(file).subarray(0, 4).equals(ELF_MAGIC);

/**
 * Reads the machine and dynamic dependencies of a 64-bit little-endian ELF file (what linux x64
 * and arm64 binaries are), from its program headers, as the dynamic loader does: no binutils needed.
 */
export function readElf(file: string): ElfInfo {
  const elf = readFileSync(file);
  if (!elf.subarray(0, 4).equals(ELF_MAGIC) || elf[4] !== 2 || elf[5] !== 1) throw new Error(`${file} is not a 64-bit little-endian ELF file`);
  const machine = elf.readUInt16LE(18);
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const segments = Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * phentsize;
    return { type: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 8)), vaddr: Number(elf.readBigUInt64LE(at + 16)), filesz: Number(elf.readBigUInt64LE(at + 32)) };
  });
  const fileOffset = (vaddr: number): number => {
    const load = segments.find((segment) => segment.type === 1 && vaddr >= segment.vaddr && vaddr < segment.vaddr + segment.filesz);
    if (!load) throw new Error(`${file}: address ${vaddr} is in no loaded segment`);
    return vaddr - load.vaddr + load.offset;
  };
  const dynamic = segments.find((segment) => segment.type === 2);
  if (!dynamic) return { machine, needed: [], runpath: undefined };
  const entries: { tag: number; value: number }[] = [];
  for (let at = dynamic.offset; at < dynamic.offset + dynamic.filesz; at += 16) {
    const tag = Number(elf.readBigInt64LE(at));
    if (tag === 0) break;
    entries.push({ tag, value: Number(elf.readBigUInt64LE(at + 8)) });
  }
  const strtab = fileOffset(entries.find((entry) => entry.tag === 5)?.value ?? 0);
  const text = (offset: number): string => elf.toString('latin1', strtab + offset, elf.indexOf(0, strtab + offset));
  const runpath = entries.find((entry) => entry.tag === 29 || entry.tag === 15);
  return { machine, needed: entries.filter((entry) => entry.tag === 1).map((entry) => text(entry.value)), runpath: runpath ? text(runpath.value) : undefined };
}
