// The slice of an ELF64 executable the debug-info library needs: section bytes by name and
// the .symtab entries (ELF-64 Object File Format; System V gABI ch. 4). Temporary home until
// emulator/loader/elf.ts offers the same; then this file becomes a thin adapter over it.

import { ByteReader, stringAt } from './reader';

export type SymbolKind = 'function' | 'object' | 'other';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: number;
  kind: SymbolKind;
  global: boolean;
}

export interface ElfImage {
  readonly name: string;
  readonly entry: bigint;
  section(name: string): Uint8Array | undefined;
  /** Virtual address of a section (sh_addr), used for .eh_frame's pc-relative pointers. */
  sectionAddress(name: string): bigint | undefined;
  readonly symbols: readonly ElfSymbol[];
  /** Bytes of the file image at a virtual address (allocated sections; .bss reads as zeros), or undefined. */
  readStatic(address: bigint, size: number): Uint8Array | undefined;
}

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHF_ALLOC = 2n;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_LOCAL = 0;

export function parseElf(bytes: Uint8Array, name: string): ElfImage {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error(`${name} is not an ELF file`);
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error(`${name} is not a little-endian ELF64 file`);
  const r = new ByteReader(bytes, 0x18, name);
  const entry = r.u64();
  r.offset = 0x28;
  const shoff = r.u64n();
  r.offset = 0x3a;
  const shentsize = r.u16();
  const shnum = r.u16();
  const shstrndx = r.u16();
  if (shoff === 0 || shnum === 0) throw new Error(`${name} has no section headers`);

  interface Shdr { nameOff: number; type: number; flags: bigint; addr: bigint; offset: number; size: number; link: number; entsize: number }
  const headers: Shdr[] = [];
  for (let i = 0; i < shnum; i++) {
    r.offset = shoff + i * shentsize;
    const nameOff = r.u32();
    const type = r.u32();
    const flags = r.u64();
    const addr = r.u64();
    const offset = r.u64n();
    const size = r.u64n();
    const link = r.u32();
    r.u32(); // info
    r.u64(); // addralign
    const entsize = r.u64n();
    headers.push({ nameOff, type, flags, addr, offset, size, link, entsize });
  }
  const contents = (h: Shdr): Uint8Array => {
    if (h.type === SHT_NOBITS) return new Uint8Array(0);
    if (h.offset + h.size > bytes.length) throw new Error(`${name}: a section runs past the end of the file`);
    return bytes.subarray(h.offset, h.offset + h.size);
  };
  const shstr = contents(headers[shstrndx]);
  const byName = new Map<string, Shdr>();
  for (const h of headers) byName.set(stringAt(shstr, h.nameOff, `${name} .shstrtab`), h);

  const symbols: ElfSymbol[] = [];
  for (const h of headers) {
    if (h.type !== SHT_SYMTAB) continue;
    const strtab = contents(headers[h.link]);
    const s = new ByteReader(contents(h), 0, `${name} .symtab`);
    const count = Math.floor(h.size / (h.entsize || 24));
    for (let i = 1; i < count; i++) {
      s.offset = i * (h.entsize || 24);
      const nameOff = s.u32();
      const info = s.u8();
      s.u8(); // other
      const shndx = s.u16();
      const value = s.u64();
      const size = s.u64n();
      const type = info & 0xf;
      if (shndx === 0) continue; // undefined
      symbols.push({
        name: stringAt(strtab, nameOff, `${name} .strtab`),
        value, size,
        kind: type === STT_FUNC ? 'function' : type === STT_OBJECT ? 'object' : 'other',
        global: (info >> 4) !== STB_LOCAL,
      });
    }
  }

  const allocated = headers.filter((h) => (h.flags & SHF_ALLOC) !== 0n && h.size > 0);
  const readStatic = (address: bigint, size: number): Uint8Array | undefined => {
    const h = allocated.find((x) => address >= x.addr && address + BigInt(size) <= x.addr + BigInt(x.size));
    if (!h) return undefined;
    const at = Number(address - h.addr);
    return h.type === SHT_NOBITS ? new Uint8Array(size) : contents(h).slice(at, at + size);
  };

  return {
    name, entry, symbols, readStatic,
    section: (n) => { const h = byName.get(n); return h ? contents(h) : undefined; },
    sectionAddress: (n) => byName.get(n)?.addr,
  };
}
