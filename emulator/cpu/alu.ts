// Integer ALU operations with their flag results (Intel SDM vol. 2: ADD/ADC/SUB/SBB/AND/OR/
// XOR/CMP, INC/DEC/NEG, shifts and rotates). Sizes 1/2/4 use unsigned numbers; size 8 uses
// low/high unsigned 32-bit halves and leaves the high half of the result in cpu.hi.
// Undefined flags follow the policy in docs/cpu.md.

import { Flag } from './state';
import type { Cpu } from './cpu';
import { MASK, PARITY, SIGN, STATUS, szp } from './flags';
import { join } from './halves';

export const enum AluOp { ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7 }

function setStatus(cpu: Cpu, f: number): void {
  const st = cpu.state;
  st.setRflags((st.getRflags() & ~STATUS) | f);
}

export function add(cpu: Cpu, size: number, aL: number, aH: number, bL: number, bH: number, cin: number): number {
  if (size === 8) {
    let lo = aL + bL + cin;
    const c0 = lo > 0xffffffff ? 1 : 0;
    lo = lo >>> 0;
    let hi = aH + bH + c0;
    const cf = hi > 0xffffffff ? Flag.CF : 0;
    hi = hi >>> 0;
    const of = ((aH ^ hi) & (bH ^ hi)) < 0 ? Flag.OF : 0;
    setStatus(cpu, cf | of | ((aL ^ bL ^ lo) & Flag.AF) | szp(8, lo, hi));
    cpu.hi = hi;
    return lo;
  }
  const r = aL + bL + cin;
  const res = size === 4 ? r >>> 0 : r & MASK[size];
  const sign = SIGN[size];
  setStatus(cpu, (r > MASK[size] ? Flag.CF : 0) | (((aL ^ res) & (bL ^ res) & sign) ? Flag.OF : 0)
    | ((aL ^ bL ^ res) & Flag.AF) | PARITY[res & 0xff] | (res === 0 ? Flag.ZF : 0) | (res & sign ? Flag.SF : 0));
  return res;
}

export function sub(cpu: Cpu, size: number, aL: number, aH: number, bL: number, bH: number, cin: number): number {
  if (size === 8) {
    let lo = aL - bL - cin;
    const b0 = lo < 0 ? 1 : 0;
    lo = lo >>> 0;
    let hi = aH - bH - b0;
    const cf = hi < 0 ? Flag.CF : 0;
    hi = hi >>> 0;
    const of = ((aH ^ bH) & (aH ^ hi)) < 0 ? Flag.OF : 0;
    setStatus(cpu, cf | of | ((aL ^ bL ^ lo) & Flag.AF) | szp(8, lo, hi));
    cpu.hi = hi;
    return lo;
  }
  const r = aL - bL - cin;
  const res = size === 4 ? r >>> 0 : r & MASK[size];
  const sign = SIGN[size];
  setStatus(cpu, (r < 0 ? Flag.CF : 0) | (((aL ^ bL) & (aL ^ res) & sign) ? Flag.OF : 0)
    | ((aL ^ bL ^ res) & Flag.AF) | PARITY[res & 0xff] | (res === 0 ? Flag.ZF : 0) | (res & sign ? Flag.SF : 0));
  return res;
}

/** AND/OR/XOR/TEST flags: CF = OF = 0, AF = 0 (undefined in the SDM). */
export function logicFlags(cpu: Cpu, size: number, lo: number, hi: number): void {
  setStatus(cpu, szp(size, lo, hi));
}

/** The eight group-1 operations; returns the result (CMP: the difference, not to be stored). */
export function alu(cpu: Cpu, op: number, size: number, aL: number, aH: number, bL: number, bH: number): number {
  switch (op) {
    case AluOp.ADD: return add(cpu, size, aL, aH, bL, bH, 0);
    case AluOp.ADC: return add(cpu, size, aL, aH, bL, bH, cpu.state.getRflags() & Flag.CF);
    case AluOp.SBB: return sub(cpu, size, aL, aH, bL, bH, cpu.state.getRflags() & Flag.CF);
    case AluOp.SUB: case AluOp.CMP: return sub(cpu, size, aL, aH, bL, bH, 0);
    default: {
      let lo: number, hi: number;
      if (op === AluOp.AND) { lo = (aL & bL) >>> 0; hi = (aH & bH) >>> 0; }
      else if (op === AluOp.OR) { lo = (aL | bL) >>> 0; hi = (aH | bH) >>> 0; }
      else { lo = (aL ^ bL) >>> 0; hi = (aH ^ bH) >>> 0; }
      if (size !== 8) hi = 0;
      logicFlags(cpu, size, lo, hi);
      cpu.hi = hi;
      return lo;
    }
  }
}

/** INC/DEC: like ADD/SUB 1 but CF is preserved. */
export function incDec(cpu: Cpu, size: number, lo: number, hi: number, dec: boolean): number {
  const cf = cpu.state.getRflags() & Flag.CF;
  const r = dec ? sub(cpu, size, lo, hi, 1, 0, 0) : add(cpu, size, lo, hi, 1, 0, 0);
  const st = cpu.state;
  st.setRflags((st.getRflags() & ~Flag.CF) | cf);
  return r;
}

/**
 * Shifts and rotates (group 2, SDM vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). `op` is the
 * ModRM.reg extension; `count` the unmasked count. Returns the result; flags unchanged when
 * the masked count is 0.
 */
export function shift(cpu: Cpu, op: number, size: number, lo: number, hi: number, count: number): number {
  const masked = count & (size === 8 ? 0x3f : 0x1f);
  if (masked === 0) { cpu.hi = hi; return lo; }
  if (size === 8) return shift64(cpu, op, lo, hi, masked);
  const bits = size * 8, mask = MASK[size], sign = SIGN[size];
  const st = cpu.state;
  const f0 = st.getRflags();
  let res = 0, cf = 0, of = 0;
  switch (op) {
    case 0: { // ROL
      const c = masked % bits;
      res = c ? ((lo << c) | (lo >>> (bits - c))) & mask : lo;
      if (size === 4) res >>>= 0;
      cf = res & 1;
      of = ((res & sign) ? 1 : 0) ^ cf;
      st.setRflags((f0 & ~(Flag.CF | Flag.OF)) | cf | (of ? Flag.OF : 0));
      return res;
    }
    case 1: { // ROR
      const c = masked % bits;
      res = c ? ((lo >>> c) | (lo << (bits - c))) & mask : lo;
      if (size === 4) res >>>= 0;
      cf = res & sign ? 1 : 0;
      of = cf ^ ((res & (sign >>> 1)) ? 1 : 0);
      st.setRflags((f0 & ~(Flag.CF | Flag.OF)) | cf | (of ? Flag.OF : 0));
      return res;
    }
    case 2: case 3: { // RCL / RCR through CF (count mod bits+1 for 8/16)
      const c = size < 4 ? masked % (bits + 1) : masked;
      if (c === 0) {
        // Count a multiple of 9/17: value and CF stay; this machine's processor still recomputes OF.
        const cf0 = f0 & Flag.CF;
        of = op === 2 ? ((lo & sign) ? 1 : 0) ^ cf0 : ((lo & sign) ? 1 : 0) ^ ((lo & (sign >>> 1)) ? 1 : 0);
        st.setRflags((f0 & ~Flag.OF) | (of ? Flag.OF : 0));
        return lo;
      }
      let v = lo, carry = f0 & Flag.CF;
      if (op === 2) {
        for (let k = 0; k < c; k++) { const out = (v & sign) ? 1 : 0; v = ((v << 1) | carry) & mask; if (size === 4) v >>>= 0; carry = out; }
        of = ((v & sign) ? 1 : 0) ^ carry;
      } else {
        of = ((lo & sign) ? 1 : 0) ^ carry;
        for (let k = 0; k < c; k++) { const out = v & 1; v = (v >>> 1) | (carry ? sign : 0); if (size === 4) v >>>= 0; carry = out; }
        // OF is defined for count 1: MSB(original) XOR CF(original); for larger counts we keep the count-1 rule on the result.
        of = c === 1 ? of : ((v & sign) ? 1 : 0) ^ ((v & (sign >>> 1)) ? 1 : 0);
      }
      st.setRflags((f0 & ~(Flag.CF | Flag.OF)) | carry | (of ? Flag.OF : 0));
      return v;
    }
    case 4: case 6: { // SHL/SAL
      res = masked < 32 ? (lo << masked) & mask : 0;
      if (size === 4) res >>>= 0;
      cf = masked <= bits ? (lo >>> (bits - masked)) & 1 : 0;
      of = ((res & sign) ? 1 : 0) ^ cf;
      break;
    }
    case 5: { // SHR: OF = MSB(result) XOR next bit (the original MSB for count 1)
      res = lo >>> masked;
      cf = masked <= bits ? (lo >>> (masked - 1)) & 1 : 0;
      of = ((res & sign) ? 1 : 0) ^ ((res & (sign >>> 1)) ? 1 : 0);
      break;
    }
    default: { // SAR
      const s = size === 4 ? lo | 0 : size === 2 ? (lo << 16) >> 16 : (lo << 24) >> 24;
      res = (s >> (masked > 31 ? 31 : masked)) & mask;
      if (size === 4) res >>>= 0;
      cf = (s >> (masked - 1 > 31 ? 31 : masked - 1)) & 1;
      of = 0;
    }
  }
  // AF is undefined for shifts; this machine's processor sets it (docs/cpu.md).
  st.setRflags((f0 & ~STATUS) | cf | (of ? Flag.OF : 0) | Flag.AF | szp(size, res, 0));
  return res;
}

/** 64-bit shift or rotate by a masked count 1-63. */
export function shift64(cpu: Cpu, op: number, lo: number, hi: number, c: number): number {
  if (op < 4) return rotate64(cpu, op, lo, hi, c);
  const st = cpu.state;
  const f0 = st.getRflags();
  let rl: number, rh: number, cf: number, of: number;
  if (op === 4 || op === 6) {
    if (c < 32) { rh = ((hi << c) | (lo >>> (32 - c))) >>> 0; rl = (lo << c) >>> 0; cf = (hi >>> (32 - c)) & 1; }
    else if (c === 32) { rh = lo; rl = 0; cf = hi & 1; }
    else { rh = (lo << (c - 32)) >>> 0; rl = 0; cf = (lo >>> (64 - c)) & 1; }
    of = (rh >>> 31) ^ cf;
  } else if (op === 5) {
    if (c < 32) { rl = ((lo >>> c) | (hi << (32 - c))) >>> 0; rh = hi >>> c; cf = (lo >>> (c - 1)) & 1; }
    else if (c === 32) { rl = hi; rh = 0; cf = lo >>> 31; }
    else { rl = hi >>> (c - 32); rh = 0; cf = (hi >>> (c - 33)) & 1; }
    of = (rh >>> 31) ^ ((rh >>> 30) & 1);
  } else {
    const sh = hi | 0;
    if (c < 32) { rl = ((lo >>> c) | (hi << (32 - c))) >>> 0; rh = (sh >> c) >>> 0; cf = (lo >>> (c - 1)) & 1; }
    else if (c === 32) { rl = hi; rh = (sh >> 31) >>> 0; cf = lo >>> 31; }
    else { rl = (sh >> (c - 32)) >>> 0; rh = (sh >> 31) >>> 0; cf = (sh >> (c - 33)) & 1; }
    of = 0;
  }
  st.setRflags((f0 & ~STATUS) | cf | (of ? Flag.OF : 0) | Flag.AF | szp(8, rl, rh));
  cpu.hi = rh;
  return rl;
}

/** 64-bit ROL/ROR/RCL/RCR through BigInt: rare in compiled code, kept out of shift64 so that stays small enough to inline. */
function rotate64(cpu: Cpu, op: number, lo: number, hi: number, c: number): number {
  const st = cpu.state;
  const f0 = st.getRflags();
  const v = join(lo, hi);
  let r: bigint, cf: number, of: number;
  const M = (1n << 64n) - 1n;
  if (op === 0) { r = ((v << BigInt(c)) | (v >> BigInt(64 - c))) & M; cf = Number(r & 1n); of = Number(r >> 63n) ^ cf; }
  else if (op === 1) { r = ((v >> BigInt(c)) | (v << BigInt(64 - c))) & M; cf = Number(r >> 63n); of = cf ^ Number((r >> 62n) & 1n); }
  else {
    const carry = BigInt(f0 & Flag.CF);
    const ext = (carry << 64n) | v;
    let rot: bigint;
    if (op === 2) rot = ((ext << BigInt(c)) | (ext >> BigInt(65 - c))) & ((1n << 65n) - 1n);
    else rot = ((ext >> BigInt(c)) | (ext << BigInt(65 - c))) & ((1n << 65n) - 1n);
    r = rot & M; cf = Number(rot >> 64n);
    of = op === 2 ? Number(r >> 63n) ^ cf : (c === 1 ? Number(v >> 63n) ^ (f0 & 1) : Number(r >> 63n) ^ Number((r >> 62n) & 1n));
  }
  st.setRflags((f0 & ~(Flag.CF | Flag.OF)) | cf | (of ? Flag.OF : 0));
  cpu.hi = Number(r >> 32n);
  return Number(r & 0xffffffffn);
}
