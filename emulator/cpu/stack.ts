// Stack accesses through SS:RSP (Intel SDM vol. 1 6.2-6.3, 64-bit mode 6.14.2): 64-bit mode
// uses RSP with no segment base and #SS(0) on a non-canonical address; compatibility mode
// uses ESP or SP by SS.B and the SS base.

import { Seg } from './state';
import { CpuFault, Vector } from './signals';
import type { Cpu } from './cpu';

const TWO32 = 4294967296;
const CANON = 140737488355328;

/** Linear address of RSP + delta (delta a small signed number). */
export function stackAddr(c: Cpu, delta: number): number {
  const r = c.r32;
  if (c.mode64) {
    let lo = r[8] + delta, hi = r[9];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) >>> 0; } else if (lo >= TWO32) { lo -= TWO32; hi = (hi + 1) >>> 0; }
    const lin = (hi | 0) * TWO32 + lo;
    if (lin < -CANON || lin >= CANON) throw new CpuFault(Vector.SS, 0);
    return lin;
  }
  const sp = (c.state.seg[Seg.SS].attrs & (1 << 14)) ? (r[8] + delta) >>> 0 : (r[8] + delta) & 0xffff;
  return (c.segBase32(Seg.SS) + sp) % TWO32;
}

export function adjustRsp(c: Cpu, delta: number): void {
  const r = c.r32;
  if (c.mode64) {
    let lo = r[8] + delta, hi = r[9];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) >>> 0; } else if (lo >= TWO32) { lo -= TWO32; hi = (hi + 1) >>> 0; }
    r[8] = lo; r[9] = hi;
  } else if (c.state.seg[Seg.SS].attrs & (1 << 14)) r[8] = (r[8] + delta) >>> 0;
  else r[8] = (r[8] & 0xffff0000) | ((r[8] + delta) & 0xffff);
}

export function push(c: Cpu, size: number, lo: number, hi: number): void {
  const lin = stackAddr(c, -size);
  c.write(size, lin, lo, hi);
  adjustRsp(c, -size);
}

/** Pop `size` bytes; size 8 leaves the high half in c.hi. */
export function pop(c: Cpu, size: number): number {
  const v = c.read(size, stackAddr(c, 0));
  const h = c.hi;
  adjustRsp(c, size);
  c.hi = h;
  return v;
}

/** Read the stack at RSP + offset without moving RSP (for instructions that may still fault). */
export function peek(c: Cpu, size: number, offset: number): number {
  return c.read(size, stackAddr(c, offset));
}
