// ELF64 reader (System V gABI, "ELF-64 Object File Format"): file header, program headers,
// section headers with their names, and the symbol table. General enough for the loader and
// for the debug adapter's DWARF reader (sections by name, symbols); checks that only the
// loader needs (machine, type) live in assertX86_64Executable.

export const enum ElfType { REL = 1, EXEC = 2, DYN = 3, CORE = 4 }
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const PF_X = 1, PF_W = 2, PF_R = 4;
export const SHF_ALLOC = 2n;

export interface ElfHeader {
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  align: bigint;
}

export interface SectionHeader {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: bigint;
  entsize: number;
}

/** One entry of an SHT_NOTE section (gABI "Note Section"): owner name, type, descriptor. */
export interface ElfNote { name: string; type: number; desc: Uint8Array }

export const enum SymbolType { NOTYPE = 0, OBJECT = 1, FUNC = 2, SECTION = 3, FILE = 4 }
export const enum SymbolBinding { LOCAL = 0, GLOBAL = 1, WEAK = 2 }

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  type: number;
  binding: number;
  visibility: number;
  /** Index of the section the symbol is defined in (0 = undefined, 0xfff1 = absolute). */
  shndx: number;
}

/** A parsed ELF64 little-endian file. `name` is how errors refer to it (usually the base name). */
export class ElfFile {
  readonly sections: SectionHeader[];
  private symbolCache?: ElfSymbol[];

  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
    readonly header: ElfHeader,
    readonly programHeaders: ProgramHeader[],
    sections: SectionHeader[],
  ) {
    this.sections = sections;
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section's bytes in the file (empty for SHT_NOBITS). A view, not a copy. */
  sectionData(section: SectionHeader): Uint8Array {
    if (section.type === SHT_NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /** The entries of every SHT_NOTE section, in file order; a malformed entry ends its section. */
  get notes(): ElfNote[] {
    const out: ElfNote[] = [];
    for (const section of this.sections.filter((s) => s.type === SHT_NOTE)) {
      const data = this.sectionData(section);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      // Fields are padded to the section's alignment: 4 for most notes, 8 for some ELF64 ones.
      const align = section.addralign === 8n ? 8 : 4;
      const pad = (n: number) => Math.ceil(n / align) * align;
      for (let off = 0; off + 12 <= data.length;) {
        const namesz = view.getUint32(off, true), descsz = view.getUint32(off + 4, true), type = view.getUint32(off + 8, true);
        const descAt = off + 12 + pad(namesz);
        if (descAt + descsz > data.length) break;
        out.push({ name: cString(data.subarray(off + 12, off + 12 + namesz), 0), type, desc: data.subarray(descAt, descAt + descsz) });
        off = descAt + pad(descsz);
      }
    }
    return out;
  }

  /** PT_LOAD segments in file order. */
  get loadSegments(): ProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === PT_LOAD);
  }

  /** The file bytes of a segment (p_filesz of them). */
  segmentData(segment: ProgramHeader): Uint8Array {
    return this.bytes.subarray(segment.offset, segment.offset + segment.filesz);
  }

  /** .symtab if present, else .dynsym; empty when stripped. */
  get symbols(): ElfSymbol[] {
    if (!this.symbolCache) {
      const table = this.sections.find((s) => s.type === SHT_SYMTAB) ?? this.sections.find((s) => s.type === SHT_DYNSYM);
      this.symbolCache = table ? this.readSymbols(table) : [];
    }
    return this.symbolCache;
  }

  /** The function or object symbol whose [value, value+size) holds `address`, preferring FUNC. */
  symbolAt(address: bigint): ElfSymbol | undefined {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.type !== SymbolType.FUNC && s.type !== SymbolType.OBJECT) continue;
      const inside = address >= s.value && (address < s.value + s.size || (s.size === 0n && address === s.value));
      if (inside && (!best || (best.type !== SymbolType.FUNC && s.type === SymbolType.FUNC))) best = s;
    }
    return best;
  }

  symbol(name: string): ElfSymbol | undefined {
    return this.symbols.find((s) => s.name === name && s.shndx !== 0);
  }

  private readSymbols(table: SectionHeader): ElfSymbol[] {
    const data = this.sectionData(table);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const strtab = this.sections[table.link];
    const strings = strtab ? this.sectionData(strtab) : new Uint8Array(0);
    const entsize = table.entsize || 24;
    const out: ElfSymbol[] = [];
    for (let off = entsize; off + 24 <= data.length; off += entsize) { // entry 0 is the null symbol
      const info = view.getUint8(off + 4);
      out.push({
        name: cString(strings, view.getUint32(off, true)),
        type: info & 0xf,
        binding: info >> 4,
        visibility: view.getUint8(off + 5) & 3,
        shndx: view.getUint16(off + 6, true),
        value: view.getBigUint64(off + 8, true),
        size: view.getBigUint64(off + 16, true),
      });
    }
    return out;
  }
}

const utf8 = new TextDecoder();

/** A NUL-terminated string at `offset` (to the end of `bytes` if unterminated). */
export function cString(bytes: Uint8Array, offset: number): string {
  if (offset >= bytes.length) return '';
  let end = offset;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return utf8.decode(bytes.subarray(offset, end));
}

/**
 * Parse an ELF64 little-endian file. Throws an Error whose message is one sentence naming
 * `name` when the bytes are not such a file or a header or table lies beyond its end.
 */
export function parseElf(bytes: Uint8Array, name: string): ElfFile {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error(`${name} is not an ELF file.`);
  }
  if (bytes.length < 6) throw new Error(`${name} is truncated: the ELF header is incomplete.`);
  if (bytes[4] !== 2) throw new Error(`${name} is a ${bytes[4] === 1 ? '32-bit' : 'unknown-class'} ELF file; a 64-bit (ELFCLASS64) file is needed.`);
  if (bytes[5] !== 1) throw new Error(`${name} is a big-endian ELF file; a little-endian x86-64 file is needed.`);
  if (bytes.length < 64) throw new Error(`${name} is truncated: the ELF header is incomplete.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: ElfHeader = {
    type: view.getUint16(16, true),
    machine: view.getUint16(18, true),
    version: view.getUint32(20, true),
    entry: view.getBigUint64(24, true),
    phoff: safeOffset(view.getBigUint64(32, true)),
    shoff: safeOffset(view.getBigUint64(40, true)),
    flags: view.getUint32(48, true),
    phentsize: view.getUint16(54, true),
    phnum: view.getUint16(56, true),
    shentsize: view.getUint16(58, true),
    shnum: view.getUint16(60, true),
    shstrndx: view.getUint16(62, true),
  };

  const programHeaders: ProgramHeader[] = [];
  if (header.phnum > 0) {
    if (header.phentsize < 56) throw new Error(`${name} has malformed program headers (entry size ${header.phentsize}).`);
    if (header.phoff + header.phnum * header.phentsize > bytes.length) throw new Error(`${name} is truncated: its program headers extend past the end of the file.`);
    for (let i = 0; i < header.phnum; i++) {
      const o = header.phoff + i * header.phentsize;
      const ph: ProgramHeader = {
        type: view.getUint32(o, true),
        flags: view.getUint32(o + 4, true),
        offset: safeOffset(view.getBigUint64(o + 8, true)),
        vaddr: view.getBigUint64(o + 16, true),
        paddr: view.getBigUint64(o + 24, true),
        filesz: safeOffset(view.getBigUint64(o + 32, true)),
        memsz: safeOffset(view.getBigUint64(o + 40, true)),
        align: view.getBigUint64(o + 48, true),
      };
      if (ph.type === PT_LOAD && ph.offset + ph.filesz > bytes.length) {
        throw new Error(`${name} is truncated: segment ${i} extends past the end of the file.`);
      }
      programHeaders.push(ph);
    }
  }

  const sections: SectionHeader[] = [];
  if (header.shnum > 0) {
    if (header.shentsize < 64) throw new Error(`${name} has malformed section headers (entry size ${header.shentsize}).`);
    if (header.shoff + header.shnum * header.shentsize > bytes.length) throw new Error(`${name} is truncated: its section headers extend past the end of the file.`);
    const nameOffsets: number[] = [];
    for (let i = 0; i < header.shnum; i++) {
      const o = header.shoff + i * header.shentsize;
      nameOffsets.push(view.getUint32(o, true));
      const s: SectionHeader = {
        index: i,
        name: '',
        type: view.getUint32(o + 4, true),
        flags: view.getBigUint64(o + 8, true),
        addr: view.getBigUint64(o + 16, true),
        offset: safeOffset(view.getBigUint64(o + 24, true)),
        size: safeOffset(view.getBigUint64(o + 32, true)),
        link: view.getUint32(o + 40, true),
        info: view.getUint32(o + 44, true),
        addralign: view.getBigUint64(o + 48, true),
        entsize: safeOffset(view.getBigUint64(o + 56, true)),
      };
      if (s.type !== SHT_NOBITS && s.type !== 0 && s.offset + s.size > bytes.length) {
        throw new Error(`${name} is truncated: section ${i} extends past the end of the file.`);
      }
      sections.push(s);
    }
    const strtab = sections[header.shstrndx];
    if (strtab) {
      const strings = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
      sections.forEach((s, i) => { s.name = cString(strings, nameOffsets[i]); });
    }
  }
  return new ElfFile(name, bytes, header, programHeaders, sections);
}

/** The loader's further demands: an x86-64 executable (ET_EXEC) with something to load. */
export function assertX86_64Executable(elf: ElfFile): void {
  const { name, header } = elf;
  if (header.machine !== EM_X86_64) throw new Error(`${name} is built for ELF machine ${header.machine}, not x86-64 (62).`);
  if (header.type !== ElfType.EXEC) {
    const kind = header.type === ElfType.REL ? 'a relocatable object' : header.type === ElfType.DYN ? 'a shared object or PIE' : header.type === ElfType.CORE ? 'a core dump' : `of ELF type ${header.type}`;
    throw new Error(`${name} is ${kind}, not a statically linked executable (ET_EXEC).`);
  }
  if (elf.loadSegments.length === 0) throw new Error(`${name} has no loadable (PT_LOAD) segments.`);
}

/** File offsets and sizes must fit a JavaScript number; anything larger cannot be in the file. */
function safeOffset(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
