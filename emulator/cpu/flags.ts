// Arithmetic-flag helpers shared by the instruction handlers (Intel SDM vol. 1 3.4.3,
// vol. 2 per-instruction "Flags Affected"). Operands are numbers: sizes 1/2/4 use one
// unsigned value, size 8 uses unsigned 32-bit low/high halves.

import { Flag } from './state';

/** PF for each low byte: set when the number of 1 bits is even. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, n = 0;
  while (b) { n += b & 1; b >>= 1; }
  PARITY[i] = n & 1 ? 0 : Flag.PF;
}

export const MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
export const SIGN = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];
export const BITS = [0, 8, 16, 0, 32, 0, 0, 0, 64];

/** The six status flags (OSZAPC). */
export const STATUS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** SF, ZF, PF of a result (size 8: pass the high half as `hi`). */
export function szp(size: number, lo: number, hi: number): number {
  if (size === 8) return PARITY[lo & 0xff] | ((lo | hi) === 0 ? Flag.ZF : 0) | (hi & 0x80000000 ? Flag.SF : 0);
  return PARITY[lo & 0xff] | (lo === 0 ? Flag.ZF : 0) | (lo & SIGN[size] ? Flag.SF : 0);
}
