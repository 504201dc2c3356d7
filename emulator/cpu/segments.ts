// Segment descriptors and segment-register loads in protected/IA-32e mode (Intel SDM vol. 3A
// 3.4-3.5 descriptors, 5.5-5.8 privilege checks; vol. 2 MOV/POP Sreg pseudo-code). Descriptor
// tables are read with implicit supervisor accesses. Hidden-cache attributes use the VMCS
// access-rights layout of CpuState.Segment.

import { Seg, SEG_ATTR_UNUSABLE, type Segment } from './state';
import { CpuFault, Vector } from './signals';
import type { Cpu } from './cpu';
import { join } from './halves';

/** Access-rights bits (VMCS layout). */
export const enum Ar { Type = 0xf, S = 1 << 4, P = 1 << 7, L = 1 << 13, DB = 1 << 14, G = 1 << 15 }

/** A decoded 8-byte descriptor (plus the upper base of a 16-byte system descriptor when asked). */
export interface Descriptor { lo: number; hi: number; attrs: number; base: bigint; limit: number; dpl: number }

/** Linear address of the descriptor for `selector`, checking the table limit; throws #GP(selector) (or `vector`). */
export function descriptorAddress(cpu: Cpu, selector: number, vector: number = Vector.GP, ext = 0): number {
  const st = cpu.state;
  const index = selector & ~7;
  let base: bigint, limit: number;
  if (selector & 4) {
    const ldt = st.seg[Seg.LDTR];
    if (ldt.attrs & SEG_ATTR_UNUSABLE) throw new CpuFault(vector, (selector & 0xfffc) | ext);
    base = ldt.base; limit = ldt.limit;
  } else { base = st.gdtr.base; limit = st.gdtr.limit; }
  if (index + 7 > limit) throw new CpuFault(vector, (selector & 0xfffc) | ext);
  return Number(BigInt.asIntN(64, base + BigInt(index)));
}

/** Read and decode the descriptor at a linear address (implicit supervisor access). */
export function readDescriptor(cpu: Cpu, linear: number, wide = false): Descriptor {
  const saved = cpu.priv;
  cpu.priv = 2;
  try {
    const lo = cpu.read32(linear);
    const hi = cpu.read32(linear + 4);
    let base = BigInt(((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0);
    if (wide) base |= BigInt(cpu.read32(linear + 8)) << 32n;
    let limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & (1 << 23)) limit = ((limit << 12) | 0xfff) >>> 0;
    const attrs = ((hi >>> 8) & 0xff) | (((hi >>> 20) & 0xf) << 12);
    return { lo, hi, attrs, base, limit, dpl: (attrs >> 5) & 3 };
  } finally {
    cpu.priv = saved;
  }
}

/** Set the accessed bit of a code/data descriptor in memory if clear (SDM 3.4.5.1). */
export function markAccessed(cpu: Cpu, linear: number, d: Descriptor): void {
  if ((d.attrs & Ar.S) && !(d.attrs & 1)) {
    const saved = cpu.priv;
    cpu.priv = 2;
    try { cpu.write32(linear + 4, (d.hi | 0x100) >>> 0); } finally { cpu.priv = saved; }
    d.attrs |= 1;
  }
}

export function loadCache(s: Segment, selector: number, d: Descriptor): void {
  s.selector = selector & 0xffff;
  s.base = d.base;
  s.limit = d.limit;
  s.attrs = d.attrs;
}

export function loadNull(s: Segment, selector: number, dpl = 0): void {
  s.selector = selector & 0xffff;
  s.base = 0n;
  s.limit = 0;
  s.attrs = SEG_ATTR_UNUSABLE | (dpl << 5);
}

const isCode = (a: number) => (a & Ar.S) !== 0 && (a & 8) !== 0;
const isData = (a: number) => (a & Ar.S) !== 0 && (a & 8) === 0;
const readable = (a: number) => isData(a) || (a & 2) !== 0;
const writableData = (a: number) => isData(a) && (a & 2) !== 0;
const conforming = (a: number) => isCode(a) && (a & 4) !== 0;

/** MOV/POP to a data segment register or SS (SDM vol. 2 MOV, "Loading a segment register in protected mode"). */
export function loadDataSegment(cpu: Cpu, seg: Seg, selector: number): void {
  const st = cpu.state;
  const cpl = st.cpl;
  const rpl = selector & 3;
  const s = st.seg[seg];
  if ((selector & 0xfffc) === 0) {
    if (seg === Seg.SS) {
      // 64-bit mode allows a null SS at CPL < 3 with RPL = CPL (SDM 5.8.10 / MOV).
      if (!(cpu.mode64 && cpl < 3 && rpl === cpl)) throw new CpuFault(Vector.GP, 0);
      loadNull(s, selector, cpl);
      return;
    }
    loadNull(s, selector);
    return;
  }
  const addr = descriptorAddress(cpu, selector);
  const d = readDescriptor(cpu, addr);
  const err = selector & 0xfffc;
  if (seg === Seg.SS) {
    if (rpl !== cpl || d.dpl !== cpl || !writableData(d.attrs)) throw new CpuFault(Vector.GP, err);
    if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.SS, err);
  } else {
    if (!readable(d.attrs)) throw new CpuFault(Vector.GP, err);
    if (!conforming(d.attrs) && (rpl > d.dpl || cpl > d.dpl)) throw new CpuFault(Vector.GP, err);
    if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.NP, err);
  }
  markAccessed(cpu, addr, d);
  loadCache(s, selector, d);
}

/**
 * Check and load CS for a far transfer to `selector` at privilege `newCpl` (far JMP/CALL/RET,
 * IRET). Returns the descriptor; the caller has validated direction-specific rules via `check`.
 */
export function fetchCodeDescriptor(cpu: Cpu, selector: number): { addr: number; d: Descriptor } {
  if ((selector & 0xfffc) === 0) throw new CpuFault(Vector.GP, 0);
  const addr = descriptorAddress(cpu, selector);
  const d = readDescriptor(cpu, addr);
  if (!isCode(d.attrs)) throw new CpuFault(Vector.GP, selector & 0xfffc);
  return { addr, d };
}

export function loadCs(cpu: Cpu, selector: number, newCpl: number, addr: number, d: Descriptor): void {
  markAccessed(cpu, addr, d);
  const cs = cpu.state.seg[Seg.CS];
  loadCache(cs, (selector & 0xfffc) | newCpl, d);
  // CPL is CS.DPL in CpuState; for conforming code the CPL stays, so record it in the cached DPL.
  cs.attrs = (cs.attrs & ~0x60) | (newCpl << 5);
}

export { isCode, isData, conforming, writableData };

/** After a return to an outer privilege level: null data segments the new CPL may not use (SDM IRET/RET). */
export function nullInaccessibleSegments(cpu: Cpu, newCpl: number): void {
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const s = cpu.state.seg[seg];
    if (s.attrs & SEG_ATTR_UNUSABLE) continue;
    if ((isData(s.attrs) || !conforming(s.attrs)) && ((s.attrs >> 5) & 3) < newCpl) {
      // FS/GS bases survive in 64-bit mode only via MSRs; a null load clears the selector.
      const base = s.base;
      loadNull(s, 0);
      if (seg === Seg.FS || seg === Seg.GS) s.base = base;
    }
  }
}

/** The 64-bit TSS fields (SDM 8.7, Figure 8-11): RSPn at 4 + 8n, ISTn at 0x24 + 8(n-1), I/O map base at 0x66. */
export function readTss64(cpu: Cpu, offset: number): bigint {
  const tr = cpu.state.seg[Seg.TR];
  if ((tr.attrs & SEG_ATTR_UNUSABLE) || offset + 7 > tr.limit) throw new CpuFault(Vector.TS, tr.selector & 0xfffc);
  const saved = cpu.priv;
  cpu.priv = 2;
  try {
    const lin = Number(BigInt.asIntN(64, tr.base + BigInt(offset)));
    const lo = cpu.read64(lin);
    return join(lo, cpu.hi);
  } finally { cpu.priv = saved; }
}
