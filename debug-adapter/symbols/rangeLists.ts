// Address ranges of DIEs (DW_AT_low_pc/high_pc, DW_AT_ranges) and location lists
// (DW_AT_location as a list): DWARF 5 .debug_rnglists/.debug_loclists (sections 2.17.3,
// 2.6.2, 7.25, 7.29) and DWARF 4 .debug_ranges/.debug_loc.

import { At } from './dwarfConstants';
import type { AttrValue, Die, Unit } from './dies';
import { ByteReader } from './reader';

export interface AddressRange { low: bigint; high: bigint }   // [low, high)
export interface LocationListEntry extends AddressRange { expr: Uint8Array }

export function dieRanges(die: Die): AddressRange[] {
  const low = die.address(At.low_pc);
  const hi = die.raw(At.high_pc);
  if (low !== undefined && hi) {
    if (hi.kind === 'udata' || hi.kind === 'sdata') return [{ low, high: low + hi.value }];
    const high = die.unit.resolveAddress(hi);
    if (high !== undefined) return [{ low, high }];
  }
  const ranges = die.raw(At.ranges);
  if (ranges) return rangeList(die.unit, ranges);
  return low !== undefined ? [{ low, high: low + 1n }] : [];
}

/** Offset into .debug_rnglists/.debug_loclists of entry `index` in the unit's offset table. */
function listOffset(unit: Unit, base: number | undefined, section: Uint8Array, index: number): number {
  const b = base ?? (unit.dwarf64 ? 20 : 12);
  const r = new ByteReader(section, b + index * unit.offsetSize, 'list offsets');
  return b + r.offsetOf(unit.dwarf64);
}

/**
 * DWARF 2-4 .debug_ranges/.debug_loc: pairs of addresses relative to a base, ended by (0, 0);
 * a first address of all ones selects a new base (DWARF 4 sections 2.17.3 and 2.6.2).
 * `entry` is called per range and may read whatever follows the pair from `r`.
 */
function walkPreV5List(unit: Unit, r: ByteReader, entry: (low: bigint, high: bigint) => void): void {
  const max = (1n << BigInt(unit.addressSize * 8)) - 1n;
  let base = unit.baseAddress;
  for (;;) {
    const a = r.uSized(unit.addressSize);
    const b = r.uSized(unit.addressSize);
    if (a === 0n && b === 0n) return;
    if (a === max) { base = b; continue; }
    entry(base + a, base + b);
  }
}

function rangeList(unit: Unit, v: AttrValue): AddressRange[] {
  const s = unit.info.sections;
  const out: AddressRange[] = [];
  let base = unit.baseAddress;
  if (unit.version < 5) {
    if (v.kind !== 'secOffset' && v.kind !== 'udata') return out;
    walkPreV5List(unit, new ByteReader(s.ranges, Number(v.value), '.debug_ranges'), (low, high) => out.push({ low, high }));
    return out;
  }
  let offset: number;
  if (v.kind === 'rnglistx') offset = listOffset(unit, unit.rnglistsBase, s.rnglists, v.index);
  else if (v.kind === 'secOffset') offset = v.value;
  else return out;
  const r = new ByteReader(s.rnglists, offset, '.debug_rnglists');
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case 0: return out;                                                  // DW_RLE_end_of_list
      case 1: base = unit.addrIndex(r.ulebn()); break;                      // base_addressx
      case 2: { const a = unit.addrIndex(r.ulebn()); out.push({ low: a, high: unit.addrIndex(r.ulebn()) }); break; }
      case 3: { const a = unit.addrIndex(r.ulebn()); out.push({ low: a, high: a + r.uleb() }); break; }
      case 4: { const a = r.uleb(); out.push({ low: base + a, high: base + r.uleb() }); break; } // offset_pair
      case 5: base = r.uSized(unit.addressSize); break;                     // base_address
      case 6: { const a = r.uSized(unit.addressSize); out.push({ low: a, high: r.uSized(unit.addressSize) }); break; }
      case 7: { const a = r.uSized(unit.addressSize); out.push({ low: a, high: a + r.uleb() }); break; }
      default: throw new Error(`.debug_rnglists: unknown entry kind ${kind} at 0x${(r.offset - 1).toString(16)}`);
    }
  }
}

/** Entries of a location list attribute (sec_offset into .debug_loc[lists] or loclistx). */
export function locationList(unit: Unit, v: AttrValue): LocationListEntry[] {
  const s = unit.info.sections;
  const out: LocationListEntry[] = [];
  let base = unit.baseAddress;
  if (unit.version < 5) {
    if (v.kind !== 'secOffset' && v.kind !== 'udata') return out;
    const r = new ByteReader(s.loc, Number(v.value), '.debug_loc');
    walkPreV5List(unit, r, (low, high) => out.push({ low, high, expr: r.bytesN(r.u16()) }));
    return out;
  }
  let offset: number;
  if (v.kind === 'loclistx') offset = listOffset(unit, unit.loclistsBase, s.loclists, v.index);
  else if (v.kind === 'secOffset') offset = v.value;
  else return out;
  const r = new ByteReader(s.loclists, offset, '.debug_loclists');
  const expr = (): Uint8Array => r.bytesN(r.ulebn());
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case 0: return out;                                                  // DW_LLE_end_of_list
      case 1: base = unit.addrIndex(r.ulebn()); break;                      // base_addressx
      case 2: { const a = unit.addrIndex(r.ulebn()); const b = unit.addrIndex(r.ulebn()); out.push({ low: a, high: b, expr: expr() }); break; }
      case 3: { const a = unit.addrIndex(r.ulebn()); const l = r.uleb(); out.push({ low: a, high: a + l, expr: expr() }); break; }
      case 4: { const a = r.uleb(); const b = r.uleb(); out.push({ low: base + a, high: base + b, expr: expr() }); break; }
      case 5: out.push({ low: 0n, high: (1n << 64n) - 1n, expr: expr() }); break; // default_location
      case 6: base = r.uSized(unit.addressSize); break;
      case 7: { const a = r.uSized(unit.addressSize); const b = r.uSized(unit.addressSize); out.push({ low: a, high: b, expr: expr() }); break; }
      case 8: { const a = r.uSized(unit.addressSize); const l = r.uleb(); out.push({ low: a, high: a + l, expr: expr() }); break; }
      default: throw new Error(`.debug_loclists: unknown entry kind ${kind} at 0x${(r.offset - 1).toString(16)}`);
    }
  }
}
