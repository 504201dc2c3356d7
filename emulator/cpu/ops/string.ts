// String instructions MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS with REP/REPE/REPNE and DF (Intel
// SDM vol. 2, vol. 1 7.3.9). Registers are updated after every element so a fault in the
// middle leaves RCX/RSI/RDI consistent and the instruction restarts where it stopped.

import { Flag, Seg } from '../state';
import type { Cpu } from '../cpu';
import type { DecodedInsn } from '../../decoder/decoder';
import { Prefix } from '../../decoder/decoder';
import type { Handler } from '../handlers';
import { sub } from '../alu';
import { ioExited } from './io';

const TWO32 = 4294967296;
const RSI = 6, RDI = 7;

/** Linear address of seg:index-register at the instruction's address size. */
function at(c: Cpu, seg: number, reg: number, as: number): number {
  const r = c.r32;
  if (as === 8) return c.linearOf(seg, r[reg << 1], r[(reg << 1) + 1]);
  return c.linearOf(seg, as === 4 ? r[reg << 1] : r[reg << 1] & 0xffff, 0);
}
function advance(c: Cpu, reg: number, as: number, delta: number): void {
  const r = c.r32, k = reg << 1;
  if (as === 8) {
    let lo = r[k] + delta, hi = r[k + 1];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) >>> 0; } else if (lo >= TWO32) { lo -= TWO32; hi = (hi + 1) >>> 0; }
    r[k] = lo; r[k + 1] = hi;
  } else if (as === 4) { r[k] = (r[k] + delta) >>> 0; r[k + 1] = 0; }
  else r[k] = (r[k] & 0xffff0000) | ((r[k] + delta) & 0xffff);
}
function countZero(c: Cpu, as: number): boolean {
  const r = c.r32;
  return as === 8 ? (r[2] | r[3]) === 0 : as === 4 ? r[2] === 0 : (r[2] & 0xffff) === 0;
}
function decCount(c: Cpu, as: number): void { advance(c, 1, as, -1); }

/** Run `element` once, or while RCX != 0 under a REP prefix; `cmp` elements also stop on ZF (REPE/REPNE). */
function repeat(c: Cpu, i: DecodedInsn, element: () => void, cmp: boolean): void {
  const rep = i.prefixes & (Prefix.Rep | Prefix.Repne);
  if (!rep) { element(); return; }
  const as = i.addrsize;
  const repne = cmp && (i.prefixes & Prefix.Repne) !== 0 && !(i.prefixes & Prefix.Rep);
  while (!countZero(c, as)) {
    element();
    decCount(c, as);
    if (cmp) {
      const zf = (c.state.getRflags() & Flag.ZF) !== 0;
      if (repne ? zf : !zf) break;
    }
  }
}

const step = (c: Cpu, size: number) => (c.state.getRflags() & Flag.DF ? -size : size);

const movs: Handler = (c, i) => {
  const s = i.opsize, as = i.addrsize;
  repeat(c, i, () => {
    const v = c.read(s, at(c, i.seg, RSI, as)), h = c.hi;
    c.write(s, at(c, Seg.ES, RDI, as), v, h);
    const d = step(c, s);
    advance(c, RSI, as, d);
    advance(c, RDI, as, d);
  }, false);
};
const stos: Handler = (c, i) => {
  const s = i.opsize, as = i.addrsize;
  const v = c.getReg(s, 0), h = c.hi;
  repeat(c, i, () => {
    c.write(s, at(c, Seg.ES, RDI, as), v, h);
    advance(c, RDI, as, step(c, s));
  }, false);
};
const lods: Handler = (c, i) => {
  const s = i.opsize, as = i.addrsize;
  repeat(c, i, () => {
    const v = c.read(s, at(c, i.seg, RSI, as));
    c.setReg(s, 0, v, c.hi);
    advance(c, RSI, as, step(c, s));
  }, false);
};
const cmps: Handler = (c, i) => {
  const s = i.opsize, as = i.addrsize;
  repeat(c, i, () => {
    const a = c.read(s, at(c, i.seg, RSI, as)), aH = c.hi;
    const b = c.read(s, at(c, Seg.ES, RDI, as)), bH = c.hi;
    sub(c, s, a, s === 8 ? aH : 0, b, s === 8 ? bH : 0, 0);
    const d = step(c, s);
    advance(c, RSI, as, d);
    advance(c, RDI, as, d);
  }, true);
};
const scas: Handler = (c, i) => {
  const s = i.opsize, as = i.addrsize;
  const a = c.getReg(s, 0), aH = s === 8 ? c.hi : 0;
  repeat(c, i, () => {
    const b = c.read(s, at(c, Seg.ES, RDI, as)), bH = c.hi;
    sub(c, s, a, aH, b, s === 8 ? bH : 0, 0);
    advance(c, RDI, as, step(c, s));
  }, true);
};

/** INS/OUTS: operand size 1, 2 or 4 (REX.W has no 8-byte form). */
const ioSize = (i: DecodedInsn) => (i.opsize === 8 ? 4 : i.opsize) as 1 | 2 | 4;

const ins: Handler = (c, i) => {
  const s = ioSize(i), as = i.addrsize, port = c.r32[4] & 0xffff;
  if (ioExited(c, port, s, true, true, (i.prefixes & (Prefix.Rep | Prefix.Repne)) !== 0, false)) return;
  repeat(c, i, () => {
    const lin = at(c, Seg.ES, RDI, as);
    c.probeWrite(lin, s);
    c.write(s, lin, c.io.in(port, s), 0);
    advance(c, RDI, as, step(c, s));
  }, false);
};
const outs: Handler = (c, i) => {
  const s = ioSize(i), as = i.addrsize, port = c.r32[4] & 0xffff;
  if (ioExited(c, port, s, false, true, (i.prefixes & (Prefix.Rep | Prefix.Repne)) !== 0, false)) return;
  repeat(c, i, () => {
    const v = c.read(s, at(c, i.seg, RSI, as));
    c.io.out(port, s, v);
    advance(c, RSI, as, step(c, s));
  }, false);
};

export const STRING_HANDLERS: Record<string, Handler> = { movs, stos, lods, cmps, scas, ins, outs };
