// The slice of an ELF64 executable the debug-info library needs, over the shared ELF reader
// (emulator/loader/elf.ts): section bytes by name, function/object symbols, and the file's
// bytes at a virtual address (for prologue analysis and static data).

import { parseElf as parseElfFile, SHT_NOBITS, SymbolBinding, SymbolType } from '../../emulator/api';

export interface SymbolInfo {
  name: string;
  value: bigint;
  size: number;
  kind: 'function' | 'object' | 'other';
  global: boolean;
}

export interface ElfImage {
  readonly name: string;
  readonly entry: bigint;
  section(name: string): Uint8Array | undefined;
  /** Virtual address of a section (sh_addr), used for .eh_frame's pc-relative pointers. */
  sectionAddress(name: string): bigint | undefined;
  readonly symbols: readonly SymbolInfo[];
  /** Bytes of the file image at a virtual address (allocated sections; .bss reads as zeros), or undefined. */
  readStatic(address: bigint, size: number): Uint8Array | undefined;
}

const SHF_ALLOC = 2n;

export function readElfImage(bytes: Uint8Array, name: string): ElfImage {
  const elf = parseElfFile(bytes, name);
  if (elf.sections.length === 0) throw new Error(`${name} has no section headers, so no symbols or debug information.`);
  const symbols: SymbolInfo[] = elf.symbols
    .filter((s) => s.shndx !== 0 && s.name !== '')
    .map((s) => ({
      name: s.name,
      value: s.value,
      size: Number(s.size),
      kind: s.type === SymbolType.FUNC ? 'function' : s.type === SymbolType.OBJECT ? 'object' : 'other',
      global: s.binding !== SymbolBinding.LOCAL,
    }));
  const allocated = elf.sections.filter((h) => (h.flags & SHF_ALLOC) !== 0n && h.size > 0);
  return {
    name, symbols,
    entry: elf.header.entry,
    section: (n) => { const h = elf.section(n); return h ? elf.sectionData(h) : undefined; },
    sectionAddress: (n) => elf.section(n)?.addr,
    readStatic: (address, size) => {
      const h = allocated.find((x) => address >= x.addr && address + BigInt(size) <= x.addr + BigInt(x.size));
      if (!h) return undefined;
      const at = Number(address - h.addr);
      return h.type === SHT_NOBITS ? new Uint8Array(size) : elf.sectionData(h).slice(at, at + size);
    },
  };
}
