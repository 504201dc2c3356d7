// .debug_info / .debug_abbrev: unit headers (DWARF 4 and 5), abbreviation tables and the
// DIE tree with raw attribute values (DWARF 5 sections 7.5). Values that depend on unit
// bases (strx, addrx, rnglistx, loclistx) are resolved on access, because the bases are
// attributes of the unit DIE itself and may follow the attribute that needs them.

import { At, Form } from './dwarfConstants';
import type { DwarfSections } from './dwarfSections';
import { ByteReader, stringAt } from './reader';

export type AttrValue =
  | { kind: 'addr'; value: bigint }
  | { kind: 'addrx'; index: number }
  | { kind: 'udata'; value: bigint; size: number }   // dataN/udata/implicit_const; size 0 for LEB
  | { kind: 'sdata'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'strx'; index: number }
  | { kind: 'ref'; offset: number }                  // absolute .debug_info offset
  | { kind: 'block'; bytes: Uint8Array }              // block*, exprloc, data16
  | { kind: 'flag'; value: boolean }
  | { kind: 'secOffset'; value: number }
  | { kind: 'loclistx'; index: number }
  | { kind: 'rnglistx'; index: number }
  | { kind: 'other' };

interface AbbrevAttr { at: number; form: number; implicit: bigint }
interface Abbrev { tag: number; children: boolean; attrs: AbbrevAttr[] }

export class Die {
  readonly children: Die[] = [];
  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly tag: number,
    readonly attrs: Map<number, AttrValue>,
    readonly parent: Die | undefined,
  ) {}

  has(at: number): boolean { return this.attrs.has(at); }
  raw(at: number): AttrValue | undefined { return this.attrs.get(at); }
  string(at: number): string | undefined { return this.unit.resolveString(this.attrs.get(at)); }
  get name(): string | undefined { return this.string(At.name); }
  /** Constant-class attribute as a number (sizes, counts, line numbers, data_member_location constants). */
  num(at: number): number | undefined {
    const v = this.attrs.get(at);
    if (!v) return undefined;
    if (v.kind === 'udata' || v.kind === 'sdata') return Number(v.value);
    if (v.kind === 'flag') return v.value ? 1 : 0;
    return undefined;
  }
  flag(at: number): boolean { const v = this.attrs.get(at); return v?.kind === 'flag' ? v.value : false; }
  address(at: number): bigint | undefined { return this.unit.resolveAddress(this.attrs.get(at)); }
  ref(at: number): Die | undefined {
    const v = this.attrs.get(at);
    return v?.kind === 'ref' ? this.unit.info.dieAt(v.offset) : undefined;
  }
}

export class Unit {
  readonly abbrevs: Map<number, Abbrev>;
  root!: Die;
  constructor(
    readonly info: DebugInfoSection,
    readonly offset: number,
    readonly version: number,
    readonly dwarf64: boolean,
    readonly addressSize: number,
    abbrevOffset: number,
  ) {
    this.abbrevs = info.abbrevTable(abbrevOffset);
  }

  get offsetSize(): number { return this.dwarf64 ? 8 : 4; }
  private base(at: number): number | undefined {
    const v = this.root?.attrs.get(at);
    return v?.kind === 'secOffset' ? v.value : v?.kind === 'udata' ? Number(v.value) : undefined;
  }
  get addrBase(): number { return this.base(At.addr_base) ?? 8; }
  get strOffsetsBase(): number { return this.base(At.str_offsets_base) ?? 8; }
  get rnglistsBase(): number | undefined { return this.base(At.rnglists_base); }
  get loclistsBase(): number | undefined { return this.base(At.loclists_base); }
  /** Base address for range and location list offsets: the unit's DW_AT_low_pc. */
  get baseAddress(): bigint { return this.root.address(At.low_pc) ?? 0n; }
  get compDir(): string | undefined { return this.root.string(At.comp_dir); }

  resolveString(v: AttrValue | undefined): string | undefined {
    if (!v) return undefined;
    if (v.kind === 'string') return v.value;
    if (v.kind === 'strx') {
      const r = new ByteReader(this.info.sections.strOffsets, this.strOffsetsBase + v.index * this.offsetSize, '.debug_str_offsets');
      return stringAt(this.info.sections.str, r.offsetOf(this.dwarf64), '.debug_str');
    }
    return undefined;
  }

  resolveAddress(v: AttrValue | undefined): bigint | undefined {
    if (!v) return undefined;
    if (v.kind === 'addr') return v.value;
    if (v.kind === 'addrx') return this.addrIndex(v.index);
    return undefined;
  }

  addrIndex(index: number): bigint {
    const r = new ByteReader(this.info.sections.addr, this.addrBase + index * this.addressSize, '.debug_addr');
    return r.uSized(this.addressSize);
  }
}

export class DebugInfoSection {
  readonly units: Unit[] = [];
  private readonly dies = new Map<number, Die>();
  private readonly abbrevCache = new Map<number, Map<number, Abbrev>>();

  constructor(readonly sections: DwarfSections) {
    const r = new ByteReader(sections.info, 0, `${sections.fileName} .debug_info`);
    while (!r.atEnd) {
      const start = r.offset;
      const { length, dwarf64 } = r.initialLength();
      const end = r.offset + length;
      if (end > sections.info.length) throw new Error(`${sections.fileName} .debug_info is truncated: the unit at 0x${start.toString(16)} runs past the end of the section`);
      const version = r.u16();
      if (version < 2 || version > 5) throw new Error(`${sections.fileName}: .debug_info unit at 0x${start.toString(16)} has unsupported DWARF version ${version}`);
      let addressSize: number;
      let abbrevOffset: number;
      let unitType = 1;
      if (version >= 5) {
        unitType = r.u8();
        addressSize = r.u8();
        abbrevOffset = r.offsetOf(dwarf64);
        if (unitType === 4 || unitType === 5) r.u64();           // skeleton/split_compile: dwo_id
        else if (unitType === 2 || unitType === 6) { r.u64(); r.offsetOf(dwarf64); } // type units
      } else {
        abbrevOffset = r.offsetOf(dwarf64);
        addressSize = r.u8();
      }
      const unit = new Unit(this, start, version, dwarf64, addressSize, abbrevOffset);
      unit.root = this.parseDies(r, unit, end);
      if (unitType === 1 || unitType === 3 || unitType === 4) this.units.push(unit);
      r.offset = end;
    }
  }

  dieAt(offset: number): Die | undefined { return this.dies.get(offset); }

  abbrevTable(offset: number): Map<number, Abbrev> {
    let table = this.abbrevCache.get(offset);
    if (table) return table;
    table = new Map();
    const r = new ByteReader(this.sections.abbrev, offset, `${this.sections.fileName} .debug_abbrev`);
    for (;;) {
      const code = r.ulebn();
      if (code === 0) break;
      const tag = r.ulebn();
      const children = r.u8() !== 0;
      const attrs: AbbrevAttr[] = [];
      for (;;) {
        const at = r.ulebn();
        const form = r.ulebn();
        if (at === 0 && form === 0) break;
        attrs.push({ at, form, implicit: form === Form.implicit_const ? r.sleb() : 0n });
      }
      table.set(code, { tag, children, attrs });
    }
    this.abbrevCache.set(offset, table);
    return table;
  }

  private parseDies(r: ByteReader, unit: Unit, end: number): Die {
    let root: Die | undefined;
    const stack: Die[] = [];
    while (r.offset < end) {
      const offset = r.offset;
      const code = r.ulebn();
      if (code === 0) { stack.pop(); if (stack.length === 0) break; continue; }
      const abbrev = unit.abbrevs.get(code);
      if (!abbrev) throw new Error(`${this.sections.fileName}: DIE at 0x${offset.toString(16)} uses unknown abbreviation ${code}`);
      const attrs = new Map<number, AttrValue>();
      for (const a of abbrev.attrs) attrs.set(a.at, readForm(r, a.form, a.implicit, unit));
      const parent = stack[stack.length - 1];
      const die = new Die(unit, offset, abbrev.tag, attrs, parent);
      this.dies.set(offset, die);
      if (parent) parent.children.push(die); else root = die;
      if (abbrev.children) stack.push(die);
      else if (!parent) break;
    }
    if (!root) throw new Error(`${this.sections.fileName}: empty .debug_info unit at 0x${unit.offset.toString(16)}`);
    return root;
  }
}

function readForm(r: ByteReader, form: number, implicit: bigint, unit: Unit): AttrValue {
  switch (form) {
    case Form.addr: return { kind: 'addr', value: r.uSized(unit.addressSize) };
    case Form.addrx: case Form.GNU_addr_index: return { kind: 'addrx', index: r.ulebn() };
    case Form.addrx1: return { kind: 'addrx', index: r.u8() };
    case Form.addrx2: return { kind: 'addrx', index: r.u16() };
    case Form.addrx3: return { kind: 'addrx', index: r.u24() };
    case Form.addrx4: return { kind: 'addrx', index: r.u32() };
    case Form.data1: return { kind: 'udata', value: BigInt(r.u8()), size: 1 };
    case Form.data2: return { kind: 'udata', value: BigInt(r.u16()), size: 2 };
    case Form.data4: return { kind: 'udata', value: BigInt(r.u32()), size: 4 };
    case Form.data8: return { kind: 'udata', value: r.u64(), size: 8 };
    case Form.data16: return { kind: 'block', bytes: r.bytesN(16) };
    case Form.udata: return { kind: 'udata', value: r.uleb(), size: 0 };
    case Form.sdata: return { kind: 'sdata', value: r.sleb() };
    case Form.implicit_const: return { kind: 'sdata', value: implicit };
    case Form.string: return { kind: 'string', value: r.cstring() };
    case Form.strp: return { kind: 'string', value: stringAt(unit.info.sections.str, r.offsetOf(unit.dwarf64), '.debug_str') };
    case Form.line_strp: return { kind: 'string', value: stringAt(unit.info.sections.lineStr, r.offsetOf(unit.dwarf64), '.debug_line_str') };
    case Form.strp_sup: case Form.GNU_strp_alt: r.offsetOf(unit.dwarf64); return { kind: 'other' };
    case Form.strx: case Form.GNU_str_index: return { kind: 'strx', index: r.ulebn() };
    case Form.strx1: return { kind: 'strx', index: r.u8() };
    case Form.strx2: return { kind: 'strx', index: r.u16() };
    case Form.strx3: return { kind: 'strx', index: r.u24() };
    case Form.strx4: return { kind: 'strx', index: r.u32() };
    case Form.ref1: return { kind: 'ref', offset: unit.offset + r.u8() };
    case Form.ref2: return { kind: 'ref', offset: unit.offset + r.u16() };
    case Form.ref4: return { kind: 'ref', offset: unit.offset + r.u32() };
    case Form.ref8: return { kind: 'ref', offset: unit.offset + r.u64n() };
    case Form.ref_udata: return { kind: 'ref', offset: unit.offset + r.ulebn() };
    case Form.ref_addr: return { kind: 'ref', offset: unit.version <= 2 ? Number(r.uSized(unit.addressSize)) : r.offsetOf(unit.dwarf64) };
    case Form.ref_sig8: r.u64(); return { kind: 'other' };
    case Form.ref_sup4: r.u32(); return { kind: 'other' };
    case Form.ref_sup8: r.u64(); return { kind: 'other' };
    case Form.GNU_ref_alt: r.offsetOf(unit.dwarf64); return { kind: 'other' };
    case Form.sec_offset: return { kind: 'secOffset', value: r.offsetOf(unit.dwarf64) };
    case Form.exprloc: case Form.block: return { kind: 'block', bytes: r.bytesN(r.ulebn()) };
    case Form.block1: return { kind: 'block', bytes: r.bytesN(r.u8()) };
    case Form.block2: return { kind: 'block', bytes: r.bytesN(r.u16()) };
    case Form.block4: return { kind: 'block', bytes: r.bytesN(r.u32()) };
    case Form.flag: return { kind: 'flag', value: r.u8() !== 0 };
    case Form.flag_present: return { kind: 'flag', value: true };
    case Form.loclistx: return { kind: 'loclistx', index: r.ulebn() };
    case Form.rnglistx: return { kind: 'rnglistx', index: r.ulebn() };
    case Form.indirect: return readForm(r, r.ulebn(), implicit, unit);
    default: throw new Error(`${unit.info.sections.fileName}: unsupported DWARF form 0x${form.toString(16)}`);
  }
}
