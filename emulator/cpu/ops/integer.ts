// Handlers for the general-purpose integer instructions (Intel SDM vol. 2): data movement,
// arithmetic, logic, multiply/divide, shifts, bit operations, conditional moves and sets,
// exchanges. One function per encoding form, bound by name from the opcode table.

import { Flag } from '../state';
import { CpuFault, Vector } from '../signals';
import type { Cpu } from '../cpu';
import type { DecodedInsn } from '../../decoder/decoder';
import { alu, add, sub, AluOp, incDec, shift, shift64 } from '../alu';
import { MASK, PARITY, STATUS, szp } from '../flags';
import { loadDataSegment } from '../segments';
import type { Handler } from '../handlers';
import { HALVES, join } from '../halves';

const TWO32 = 4294967296;

/** Immediate truncated/sign-extended to the operand size: low half. */
export function immLo(i: DecodedInsn, size: number): number {
  return size === 1 ? i.imm & 0xff : size === 2 ? i.imm & 0xffff : i.imm >>> 0;
}
export function immHi(i: DecodedInsn, size: number): number {
  return size === 8 && i.imm < 0 ? 0xffffffff : 0;
}

/** Condition codes tttn (SDM Appendix B.1.4.7). */
export function cond(flags: number, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = (flags & Flag.OF) !== 0; break;
    case 1: r = (flags & Flag.CF) !== 0; break;
    case 2: r = (flags & Flag.ZF) !== 0; break;
    case 3: r = (flags & (Flag.CF | Flag.ZF)) !== 0; break;
    case 4: r = (flags & Flag.SF) !== 0; break;
    case 5: r = (flags & Flag.PF) !== 0; break;
    case 6: r = ((flags & Flag.SF) !== 0) !== ((flags & Flag.OF) !== 0); break;
    default: r = (flags & Flag.ZF) !== 0 || ((flags & Flag.SF) !== 0) !== ((flags & Flag.OF) !== 0);
  }
  return (cc & 1) ? !r : r;
}

const aluEG: Handler = (c, i) => {
  const s = i.opsize, op = i.opcode >> 3;
  if (s === 8 && i.mod === 3) {
    // Register-to-register 64-bit form (most of compiled code): no size dispatch.
    const g = c.r32, b = i.reg << 1, a = i.rm << 1;
    const r = alu(c, op, 8, g[a], g[a + 1], g[b], g[b + 1]);
    if (op !== AluOp.CMP) { g[a] = r; g[a + 1] = c.hi; }
    return;
  }
  const bL = c.getReg(s, i.reg), bH = s === 8 ? c.hi : 0;
  const aL = c.readE(i), aH = s === 8 ? c.hi : 0;
  const r = alu(c, op, s, aL, aH, bL, bH);
  if (op !== AluOp.CMP) c.writeE(i, r, c.hi);
};
const aluGE: Handler = (c, i) => {
  const s = i.opsize, op = i.opcode >> 3;
  if (s === 8 && i.mod === 3) {
    const g = c.r32, a = i.reg << 1, b = i.rm << 1;
    const r = alu(c, op, 8, g[a], g[a + 1], g[b], g[b + 1]);
    if (op !== AluOp.CMP) { g[a] = r; g[a + 1] = c.hi; }
    return;
  }
  const bL = c.readE(i), bH = s === 8 ? c.hi : 0;
  const aL = c.getReg(s, i.reg), aH = s === 8 ? c.hi : 0;
  const r = alu(c, op, s, aL, aH, bL, bH);
  if (op !== AluOp.CMP) c.setReg(s, i.reg, r, c.hi);
};
const aluAI: Handler = (c, i) => {
  const s = i.opsize, op = i.opcode >> 3;
  const aL = c.getReg(s, 0), aH = s === 8 ? c.hi : 0;
  const r = alu(c, op, s, aL, aH, immLo(i, s), immHi(i, s));
  if (op !== AluOp.CMP) c.setReg(s, 0, r, c.hi);
};
const aluEI: Handler = (c, i) => {
  const s = i.opsize, op = i.reg & 7;
  if (s === 8 && i.mod === 3) {
    const g = c.r32, a = i.rm << 1;
    const r = alu(c, op, 8, g[a], g[a + 1], i.imm >>> 0, i.imm < 0 ? 0xffffffff : 0);
    if (op !== AluOp.CMP) { g[a] = r; g[a + 1] = c.hi; }
    return;
  }
  const aL = c.readE(i), aH = s === 8 ? c.hi : 0;
  const r = alu(c, op, s, aL, aH, immLo(i, s), immHi(i, s));
  if (op !== AluOp.CMP) c.writeE(i, r, c.hi);
};
const testEG: Handler = (c, i) => {
  const s = i.opsize;
  const bL = c.getReg(s, i.reg), bH = s === 8 ? c.hi : 0;
  const aL = c.readE(i), aH = s === 8 ? c.hi : 0;
  alu(c, AluOp.AND, s, aL, aH, bL, bH);
};
const testAI: Handler = (c, i) => {
  const s = i.opsize;
  const aL = c.getReg(s, 0), aH = s === 8 ? c.hi : 0;
  alu(c, AluOp.AND, s, aL, aH, immLo(i, s), immHi(i, s));
};
const testEI: Handler = (c, i) => {
  const s = i.opsize;
  const aL = c.readE(i), aH = s === 8 ? c.hi : 0;
  alu(c, AluOp.AND, s, aL, aH, immLo(i, s), immHi(i, s));
};

const movEG: Handler = (c, i) => {
  if (i.opsize === 8 && i.mod === 3) { const g = c.r32, d = i.rm << 1, s = i.reg << 1; g[d] = g[s]; g[d + 1] = g[s + 1]; return; }
  const v = c.getReg(i.opsize, i.reg); c.writeE(i, v, c.hi);
};
const movGE: Handler = (c, i) => {
  if (i.opsize === 8 && i.mod === 3) { const g = c.r32, d = i.reg << 1, s = i.rm << 1; g[d] = g[s]; g[d + 1] = g[s + 1]; return; }
  const v = c.readE(i); c.setReg(i.opsize, i.reg, v, c.hi);
};
const movEI: Handler = (c, i) => c.writeE(i, immLo(i, i.opsize), immHi(i, i.opsize));
const movZI: Handler = (c, i) => {
  const s = i.opsize;
  if (s === 8) c.setReg(8, i.opReg, i.imm >>> 0, i.immHi);
  else c.setReg(s, i.opReg, immLo(i, s), 0);
};
const movAO: Handler = (c, i) => {
  const lin = c.linearOf(i.seg, i.imm, i.immHi);
  const v = c.read(i.opsize, lin);
  c.setReg(i.opsize, 0, v, c.hi);
};
const movOA: Handler = (c, i) => {
  const lin = c.linearOf(i.seg, i.imm, i.immHi);
  const v = c.getReg(i.opsize, 0);
  c.write(i.opsize, lin, v, c.hi);
};
const movESw: Handler = (c, i) => {
  const sreg = i.reg & 7;
  if (sreg > 5) throw new CpuFault(Vector.UD);
  const sel = c.state.seg[sreg].selector;
  if (i.mod === 3) c.setReg(i.opsize, i.rm, sel, 0);
  else c.write(2, c.ea, sel, 0);
};
const movSwE: Handler = (c, i) => {
  const sreg = i.reg & 7;
  if (sreg === 1 || sreg > 5) throw new CpuFault(Vector.UD);
  const sel = c.readE(i, 2);
  loadDataSegment(c, sreg, sel);
  if (sreg === 2) c.shadowSet = true;
};
const lea: Handler = (c, i) => c.setReg(i.opsize, i.reg, i.opsize === 2 ? c.eaLo & 0xffff : c.eaLo, c.eaHi);
const movsxd: Handler = (c, i) => {
  const v = c.readE(i, i.opsize === 8 ? 4 : i.opsize);
  c.setReg(i.opsize, i.reg, v, i.opsize === 8 && (v & 0x80000000) ? 0xffffffff : 0);
};
const movzx: Handler = (c, i) => {
  const v = c.readE(i, i.opcode === 0xb6 ? 1 : 2);
  c.setReg(i.opsize, i.reg, v, 0);
};
const movsx: Handler = (c, i) => {
  const src = i.opcode === 0xbe ? 1 : 2;
  let v = c.readE(i, src);
  v = src === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
  const s = i.opsize;
  c.setReg(s, i.reg, s === 2 ? v & 0xffff : v >>> 0, v < 0 ? 0xffffffff : 0);
};
const cbw: Handler = (c, i) => {
  const s = i.opsize, r = c.r32;
  if (s === 2) c.setReg(2, 0, ((r[0] << 24) >> 24) & 0xffff, 0);
  else if (s === 4) { r[0] = (r[0] << 16) >> 16; r[1] = 0; }
  else r[1] = r[0] & 0x80000000 ? 0xffffffff : 0;
};
const cwd: Handler = (c, i) => {
  const s = i.opsize, r = c.r32;
  if (s === 2) c.setReg(2, 2, r[0] & 0x8000 ? 0xffff : 0, 0);
  else if (s === 4) { r[4] = r[0] & 0x80000000 ? 0xffffffff : 0; r[5] = 0; }
  else { const v = r[1] & 0x80000000 ? 0xffffffff : 0; r[4] = v; r[5] = v; }
};

const xchgEG: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.readE(i), aH = c.hi;
  const b = c.getReg(s, i.reg), bH = c.hi;
  c.writeE(i, b, bH);
  c.setReg(s, i.reg, a, aH);
};
const xchgZA: Handler = (c, i) => {
  const s = i.opsize;
  const a = c.getReg(s, 0), aH = c.hi;
  const b = c.getReg(s, i.opReg), bH = c.hi;
  c.setReg(s, 0, b, bH);
  c.setReg(s, i.opReg, a, aH);
};
/** 90: NOP, or XCHG r8, rAX with REX.B; also the fences (no memory model to order). */
const nop90: Handler = (c, i) => {
  if (i.map === 0 && (i.rex & 1)) xchgZA(c, i);
};
const nopE: Handler = () => undefined;

const incZ: Handler = (c, i) => { const v = c.getReg(i.opsize, i.opReg); c.setReg(i.opsize, i.opReg, incDec(c, i.opsize, v, 0, false), 0); };
const decZ: Handler = (c, i) => { const v = c.getReg(i.opsize, i.opReg); c.setReg(i.opsize, i.opReg, incDec(c, i.opsize, v, 0, true), 0); };
const incDecE: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  const r = incDec(c, s, v, h, (i.reg & 7) === 1);
  c.writeE(i, r, c.hi);
};
const notE: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = c.hi;
  c.writeE(i, (~v & MASK[s]) >>> 0, s === 8 ? (~h) >>> 0 : 0);
};
const negE: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  const r = sub(c, s, 0, 0, v, h, 0);
  c.writeE(i, r, c.hi);
};

// ---- multiply and divide (SDM MUL, IMUL, DIV, IDIV) ----

function setMulFlags(c: Cpu, overflow: boolean): void {
  // CF = OF = the high half is significant; SF/ZF/AF/PF are undefined and left unchanged (docs/cpu.md).
  const st = c.state;
  st.setRflags((st.getRflags() & ~(Flag.CF | Flag.OF)) | (overflow ? Flag.CF | Flag.OF : 0));
}

/** DIV/IDIV leave all six flags undefined; this machine's processor gives SF=ZF=PF=0, AF=1, CF/OF unchanged. */
function setDivFlags(c: Cpu): void {
  const st = c.state;
  st.setRflags((st.getRflags() & ~(Flag.SF | Flag.ZF | Flag.PF)) | Flag.AF);
}

const sBig = (lo: number, hi: number) => BigInt.asIntN(64, join(lo, hi));
const sNum = (v: number, size: number) => size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;

/**
 * 32/64-bit DIV/IDIV of EDX:EAX or RDX:RAX (the GPRs as halves, `r`) by (srcLo, srcHi) where
 * doubles give it exactly: EDX/RDX the extension of EAX/RAX and a divisor not 0; 64-bit, also
 * both below 2^52 in magnitude or the divisor below 2^32 (long division by 16-bit digits, each
 * step below 2^48). Returns false, with nothing written, anywhere else, and where the quotient
 * does not fit (INT_MIN / -1): the handler's BigInt path decides those, #DE included.
 */
export function divideFast(r: Uint32Array, size: 4 | 8, srcLo: number, srcHi: number, signed: boolean): boolean {
  if (size === 4) {
    const a = signed ? r[0] | 0 : r[0], b = signed ? srcLo | 0 : srcLo;
    if (r[4] !== (signed ? (a >> 31) >>> 0 : 0) || b === 0 || (a === -2147483648 && b === -1)) return false;
    const q = Math.trunc(a / b); // |a| < 2^32: the rounded quotient truncates to the exact one
    r[0] = q >>> 0; r[1] = 0; r[4] = (a - q * b) >>> 0; r[5] = 0;
    return true;
  }
  const extA = r[1] & 0x80000000 ? 0xffffffff : 0;
  if (r[4] !== (signed ? extA : 0) || r[5] !== r[4] || (srcLo | srcHi) === 0) return false;
  const a = signed ? (r[1] | 0) * TWO32 + r[0] : r[1] * TWO32 + r[0];
  const b = signed ? (srcHi | 0) * TWO32 + srcLo : srcHi * TWO32 + srcLo;
  const ua = Math.abs(a), ub = Math.abs(b);
  if (ub < TWO32 && ua >= 2 ** 52) return divideByDigits(r, a < 0, b < 0, ub);
  if (ua >= 2 ** 52 || ub >= 2 ** 52) return false;
  // The rounded double quotient may be one off; correct it with the exact remainder.
  let uq = Math.floor(ua / ub), ur = ua - uq * ub;
  if (ur < 0) { uq--; ur += ub; } else if (ur >= ub) { uq++; ur -= ub; }
  const q = (a < 0) !== (b < 0) ? -uq : uq, rem = a < 0 ? -ur : ur;
  r[0] = ((q % TWO32) + TWO32) % TWO32; r[1] = Math.floor(q / TWO32) >>> 0;
  r[4] = ((rem % TWO32) + TWO32) % TWO32; r[5] = Math.floor(rem / TWO32) >>> 0;
  return true;
}

/** divideFast's long division of |RDX:RAX| (its 64 bits from `r`, negated when `negA`) by `ub` < 2^32. */
function divideByDigits(r: Uint32Array, negA: boolean, negB: boolean, ub: number): boolean {
  let hi = r[1], lo = r[0];
  if (negA) { lo = (~lo + 1) >>> 0; hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0; } // two's complement
  // Each partial dividend is below ub * 2^16 < 2^48, and each quotient digit below 2^16.
  let cur = hi >>> 16;
  const q3 = Math.floor(cur / ub);
  cur = (cur - q3 * ub) * 65536 + (hi & 0xffff);
  const q2 = Math.floor(cur / ub);
  cur = (cur - q2 * ub) * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / ub);
  cur = (cur - q1 * ub) * 65536 + (lo & 0xffff);
  const q0 = Math.floor(cur / ub), rem = cur - q0 * ub;
  let qHi = ((q3 << 16) | q2) >>> 0, qLo = ((q1 << 16) | q0) >>> 0;
  const negQ = negA !== negB;
  // The quotient must fit in 64 bits, signed for IDIV: below 2^63, or 2^63 itself when negative.
  if ((negA || negB) && qHi >= 0x80000000 && !(negQ && qHi === 0x80000000 && qLo === 0)) return false;
  if (negQ) { qLo = (~qLo + 1) >>> 0; qHi = (~qHi + (qLo === 0 ? 1 : 0)) >>> 0; }
  r[0] = qLo; r[1] = qHi;
  r[4] = negA ? (-rem) >>> 0 : rem; r[5] = negA && rem !== 0 ? 0xffffffff : 0;
  return true;
}

const mulDiv: Handler = (c, i) => {
  const s = i.opsize, op = i.reg & 7, r = c.r32;
  const src = c.readE(i), srcHi = s === 8 ? c.hi : 0;
  if (op === 4 || op === 5) {
    const signed = op === 5;
    if (s === 8) {
      mul128(r[0], r[1], src, srcHi, signed);
      const q = PROD;
      r[0] = q[0]; r[1] = q[1]; r[4] = q[2]; r[5] = q[3];
      const ext = signed && (q[1] & 0x80000000) ? 0xffffffff : 0;
      setMulFlags(c, q[2] !== ext || q[3] !== ext);
      return;
    }
    if (s === 4) {
      const a = r[0];
      const lo = Math.imul(a, src) >>> 0;
      let hi = mulHigh32(a, src);
      if (signed) hi = (hi - (a & 0x80000000 ? src : 0) - (src & 0x80000000 ? a : 0)) >>> 0;
      r[0] = lo; r[1] = 0; r[4] = hi; r[5] = 0;
      const of = signed ? hi !== (lo & 0x80000000 ? 0xffffffff : 0) : hi !== 0;
      setMulFlags(c, of);
      return;
    }
    const a = signed ? sNum(c.getReg(s, 0), s) : c.getReg(s, 0);
    const b = signed ? sNum(src, s) : src;
    const p = a * b;
    if (s === 1) {
      c.setReg(2, 0, p & 0xffff, 0);
      setMulFlags(c, signed ? p !== ((p << 24) >> 24) : (p & 0xff00) !== 0);
    } else {
      c.setReg(2, 0, p & 0xffff, 0);
      c.setReg(2, 2, (p >> 16) & 0xffff, 0);
      setMulFlags(c, signed ? p !== ((p << 16) >> 16) : (p >>> 16) !== 0);
    }
    return;
  }
  // DIV / IDIV: #DE on a zero divisor or a quotient that does not fit (SDM DIV/IDIV).
  const signed = op === 7;
  if (s === 8) {
    if (divideFast(r, 8, src, srcHi, signed)) { setDivFlags(c); return; }
    const divisor = signed ? sBig(src, srcHi) : join(src, srcHi);
    if (divisor === 0n) throw new CpuFault(Vector.DE);
    const dividendU = (join(r[4], r[5]) << 64n) | join(r[0], r[1]);
    const dividend = signed ? BigInt.asIntN(128, dividendU) : dividendU;
    const q = dividend / divisor, rem = dividend % divisor;
    if (signed ? q !== BigInt.asIntN(64, q) : q >> 64n !== 0n) throw new CpuFault(Vector.DE);
    const qu = BigInt.asUintN(64, q), ru = BigInt.asUintN(64, rem);
    r[0] = Number(qu & 0xffffffffn); r[1] = Number(qu >> 32n);
    r[4] = Number(ru & 0xffffffffn); r[5] = Number(ru >> 32n);
    setDivFlags(c);
    return;
  }
  if (s === 4) {
    if (divideFast(r, 4, src, 0, signed)) { setDivFlags(c); return; }
    if (src === 0) throw new CpuFault(Vector.DE);
    let q: number, rem: number;
    if (!signed) {
      const d = join(r[0], r[4]), b = BigInt(src);
      const bq = d / b;
      if (bq > 0xffffffffn) throw new CpuFault(Vector.DE);
      q = Number(bq); rem = Number(d % b);
    } else {
      const d = BigInt.asIntN(64, join(r[0], r[4])), b = BigInt(src | 0);
      const bq = d / b;
      if (bq !== BigInt.asIntN(32, bq)) throw new CpuFault(Vector.DE);
      q = Number(bq) >>> 0; rem = Number(d % b) >>> 0;
    }
    r[0] = q >>> 0; r[1] = 0; r[4] = rem >>> 0; r[5] = 0;
    setDivFlags(c);
    return;
  }
  const bits = s * 8;
  const dividendU = s === 1 ? c.getReg(2, 0) : (c.getReg(2, 2) * 65536 + c.getReg(2, 0));
  const divisor = signed ? sNum(src, s) : src;
  if (divisor === 0) throw new CpuFault(Vector.DE);
  const dividend = signed ? (s === 1 ? (dividendU << 16) >> 16 : dividendU | 0) : dividendU;
  const q = Math.trunc(dividend / divisor), rem = dividend - q * divisor;
  if (signed ? q < -(2 ** (bits - 1)) || q >= 2 ** (bits - 1) : q >= 2 ** bits) throw new CpuFault(Vector.DE);
  if (s === 1) c.setReg(2, 0, ((rem & 0xff) << 8) | (q & 0xff), 0);
  else { c.setReg(2, 0, q & 0xffff, 0); c.setReg(2, 2, rem & 0xffff, 0); }
  setDivFlags(c);
};

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit numbers. */
export function mulHigh32(a: number, b: number): number {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** The 128-bit product of mul128 as four 32-bit limbs, least significant first. */
const PROD = new Uint32Array(4);

/** 64 x 64 -> 128-bit multiply on 32-bit limbs (signed: two's-complement operands and result). */
export function mul128(aL: number, aH: number, bL: number, bH: number, signed: boolean, out: Uint32Array = PROD): void {
  const p0l = Math.imul(aL, bL) >>> 0, p0h = mulHigh32(aL, bL);
  const p1l = Math.imul(aL, bH) >>> 0, p1h = mulHigh32(aL, bH);
  const p2l = Math.imul(aH, bL) >>> 0, p2h = mulHigh32(aH, bL);
  const p3l = Math.imul(aH, bH) >>> 0, p3h = mulHigh32(aH, bH);
  const t1 = p0h + p1l + p2l;
  const c1 = Math.floor(t1 / TWO32);
  const t2 = p1h + p2h + p3l + c1;
  const c2 = Math.floor(t2 / TWO32);
  let r2 = t2 - c2 * TWO32, r3 = (p3h + c2) >>> 0;
  if (signed) {
    // Signed high half = unsigned high half - (a < 0 ? b : 0) - (b < 0 ? a : 0)  (mod 2^64).
    if (aH & 0x80000000) { const d = r2 - bL; r2 = d >>> 0; r3 = (r3 - bH - (d < 0 ? 1 : 0)) >>> 0; }
    if (bH & 0x80000000) { const d = r2 - aL; r2 = d >>> 0; r3 = (r3 - aH - (d < 0 ? 1 : 0)) >>> 0; }
  }
  out[0] = p0l; out[1] = t1 >>> 0; out[2] = r2; out[3] = r3;
}

/** 64-bit IMUL r, r/m [, imm]: the product's low 64 bits into HALVES; true when the high 64 bits are significant (CF = OF = 1). */
export function imul64(aL: number, aH: number, bL: number, bH: number): boolean {
  mul128(aL, aH, bL, bH, true);
  const q = PROD;
  HALVES[0] = q[0];
  HALVES[1] = q[1];
  const ext = (q[1] & 0x80000000) ? 0xffffffff : 0;
  return q[2] !== ext || q[3] !== ext;
}

/** The low 64 bits of a 64 x 64-bit product (signed or not, they are the same) into HALVES: IMUL whose CF/OF nothing reads. */
export function mul64Low(aL: number, aH: number, bL: number, bH: number): void {
  HALVES[0] = Math.imul(aL, bL) >>> 0;
  HALVES[1] = (mulHigh32(aL, bL) + Math.imul(aL, bH) + Math.imul(aH, bL)) >>> 0;
}

/** Truncating signed multiply for IMUL r, r/m [, imm]: returns low part, sets flags. */
function imulTrunc(c: Cpu, s: number, aL: number, aH: number, bL: number, bH: number): number {
  if (s === 8) {
    setMulFlags(c, imul64(aL, aH, bL, bH));
    c.hi = HALVES[1];
    return HALVES[0];
  }
  if (s === 4) {
    const lo = Math.imul(aL, bL);
    const exact = (aL | 0) * (bL | 0);
    setMulFlags(c, exact !== lo);
    return lo >>> 0;
  }
  const p = sNum(aL, s) * sNum(bL, s);
  const r = p & 0xffff;
  setMulFlags(c, p !== ((p << 16) >> 16));
  return r;
}
const imul2: Handler = (c, i) => {
  const s = i.opsize;
  const bL = c.readE(i), bH = s === 8 ? c.hi : 0;
  const aL = c.getReg(s, i.reg), aH = s === 8 ? c.hi : 0;
  const r = imulTrunc(c, s, aL, aH, bL, bH);
  c.setReg(s, i.reg, r, c.hi);
};
const imul3: Handler = (c, i) => {
  const s = i.opsize;
  const aL = c.readE(i), aH = s === 8 ? c.hi : 0;
  const r = imulTrunc(c, s, aL, aH, immLo(i, s), immHi(i, s));
  c.setReg(s, i.reg, r, c.hi);
};

// ---- shifts ----

const shiftH: Handler = (c, i) => {
  const s = i.opsize;
  const count = i.opcode <= 0xc1 ? i.imm & 0xff : i.opcode <= 0xd1 ? 1 : c.r32[2] & 0xff;
  if (s === 8 && i.mod === 3) {
    const masked = count & 0x3f;
    if (masked === 0) return; // nothing changes (SDM: flags unaffected for a zero count)
    const g = c.r32, a = i.rm << 1;
    const r = shift64(c, i.reg & 7, g[a], g[a + 1], masked);
    g[a] = r; g[a + 1] = c.hi;
    return;
  }
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  const r = shift(c, i.reg & 7, s, v, h, count);
  c.writeE(i, r, c.hi);
};

/** SHLD/SHRD (SDM): count masked to 5/6 bits; 0 leaves everything unchanged. */
const shxd: Handler = (c, i) => {
  const s = i.opsize, bits = BigInt(s * 8);
  const count = (i.opcode & 1 ? c.r32[2] : i.imm) & (s === 8 ? 0x3f : 0x1f);
  const dL = c.readE(i), dH = s === 8 ? c.hi : 0;
  const sL = c.getReg(s, i.reg), sH = s === 8 ? c.hi : 0;
  if (count === 0) { c.writeE(i, dL, dH); return; }
  const mask = (1n << bits) - 1n;
  const d = join(dL, dH), src = join(sL, sH), n = BigInt(count);
  let r: bigint, cf: bigint;
  if (s === 2 && count > 16) {
    // Undefined in the SDM; this machine's processor rotates the source: (d:s:s) window, CF = 0.
    const k = count - 16;
    r = i.opcode < 0xa8 ? ((src << BigInt(k)) | (src >> BigInt(16 - k))) & mask : ((src >> BigInt(k)) | (src << BigInt(16 - k))) & mask;
    const msb = (r >> 15n) & 1n;
    const of = i.opcode < 0xa8 ? false : (msb ^ ((r >> 14n) & 1n)) !== 0n;
    const st = c.state;
    st.setRflags((st.getRflags() & ~STATUS) | (of ? Flag.OF : 0) | Flag.AF | szp(2, Number(r), 0));
    c.writeE(i, Number(r), 0);
    return;
  }
  if (i.opcode < 0xa8) { // SHLD
    const v = (d << bits) | src;
    r = ((v << n) >> bits) & mask;
    cf = ((v << n) >> (2n * bits)) & 1n;
  } else {
    const v = (src << bits) | d;
    r = (v >> n) & mask;
    cf = (v >> (n - 1n)) & 1n;
  }
  // OF (defined for count 1) as this machine computes it for any count: SHLD MSB(r) XOR CF, SHRD MSB(r) XOR next bit.
  const msb = (r >> (bits - 1n)) & 1n;
  const of = i.opcode < 0xa8 ? (msb ^ cf) !== 0n : (msb ^ ((r >> (bits - 2n)) & 1n)) !== 0n;
  const lo = Number(r & 0xffffffffn), hi = Number(r >> 32n);
  const st = c.state;
  st.setRflags((st.getRflags() & ~STATUS) | Number(cf) | (of ? Flag.OF : 0) | Flag.AF | szp(s, lo, hi));
  c.writeE(i, lo, hi);
};

// ---- bit operations ----

function bitOp(c: Cpu, i: DecodedInsn, kind: number, offLo: number, offHi: number, fromReg: boolean): void {
  const s = i.opsize, bits = s * 8;
  let bit: number;
  if (i.mod === 3) {
    bit = offLo & (bits - 1);
    const v = c.getReg(s, i.rm), h = s === 8 ? c.hi : 0;
    const set = bit < 32 ? (v >>> bit) & 1 : (h >>> (bit - 32)) & 1;
    applyBit(c, i, kind, set, bit, v, h, true);
    return;
  }
  // Memory: a register offset is signed and may address outside the operand (SDM BT).
  let addr = c.ea;
  if (fromReg) {
    const off = s === 8 ? (offHi | 0) * TWO32 + offLo : s === 4 ? offLo | 0 : (offLo << 16) >> 16;
    const unit = Math.floor(off / bits);
    addr = c.ea + unit * s;
    bit = off - unit * bits;
  } else bit = offLo & (bits - 1);
  // Access the byte holding the bit (same architectural effect as the operand-size access).
  const byteAddr = addr + (bit >> 3);
  const b = c.read8(byteAddr);
  const set = (b >> (bit & 7)) & 1;
  setCf(c, set);
  if (kind !== 0) {
    const m = 1 << (bit & 7);
    const nb = kind === 1 ? b | m : kind === 2 ? b & ~m : b ^ m;
    c.write8(byteAddr, nb & 0xff);
  }
}
function setCf(c: Cpu, v: number): void {
  const st = c.state;
  st.setRflags((st.getRflags() & ~Flag.CF) | v);
}
function applyBit(c: Cpu, i: DecodedInsn, kind: number, set: number, bit: number, v: number, h: number, reg: boolean): void {
  setCf(c, set);
  if (kind === 0) return;
  let lo = v, hi = h;
  if (bit < 32) {
    const m = (1 << bit) >>> 0;
    lo = (kind === 1 ? lo | m : kind === 2 ? lo & ~m : lo ^ m) >>> 0;
  } else {
    const m = (1 << (bit - 32)) >>> 0;
    hi = (kind === 1 ? hi | m : kind === 2 ? hi & ~m : hi ^ m) >>> 0;
  }
  if (reg) c.setReg(i.opsize, i.rm, lo, hi);
}
const BT_KIND: Record<number, number> = { 0xa3: 0, 0xab: 1, 0xb3: 2, 0xbb: 3 };
const btG: Handler = (c, i) => { const o = c.getReg(i.opsize, i.reg); bitOp(c, i, BT_KIND[i.opcode], o, i.opsize === 8 ? c.hi : 0, true); };
const btI: Handler = (c, i) => bitOp(c, i, (i.reg & 7) - 4, i.imm & 0xff, 0, false);

function clz32(v: number): number { return Math.clz32(v); }
function ctz32(v: number): number { return v === 0 ? 32 : 31 - Math.clz32(v & -v); }

/**
 * BSF/BSR (SDM: ZF defined, the rest undefined). This machine's processor clears CF, OF, SF, AF
 * and sets PF from the result (from 0 for a zero source); a zero source leaves the destination.
 */
function bitScanFlags(c: Cpu, result: number, zero: boolean): void {
  const st = c.state;
  st.setRflags((st.getRflags() & ~STATUS) | (zero ? Flag.ZF : 0) | PARITY[result & 0xff]);
}
const bsf: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  if (v === 0 && h === 0) { bitScanFlags(c, 0, true); return; }
  const n = v !== 0 ? ctz32(v) : 32 + ctz32(h);
  bitScanFlags(c, n, false);
  c.setReg(s, i.reg, n, 0);
};
const bsr: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  if (v === 0 && h === 0) { bitScanFlags(c, 0, true); return; }
  const n = h !== 0 ? 63 - clz32(h) : 31 - clz32(v);
  bitScanFlags(c, n, false);
  c.setReg(s, i.reg, n, 0);
};
const tzcnt: Handler = (c, i) => {
  const s = i.opsize, bits = s * 8;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  let n = s === 8 ? (v !== 0 ? ctz32(v) : 32 + ctz32(h)) : ctz32(v);
  if (n > bits) n = bits;
  const st = c.state;
  st.setRflags((st.getRflags() & ~(Flag.CF | Flag.ZF | Flag.AF | Flag.SF | Flag.PF)) | (n === bits ? Flag.CF : 0) | (n === 0 ? Flag.ZF : 0));
  c.setReg(s, i.reg, n, 0);
};
const lzcnt: Handler = (c, i) => {
  const s = i.opsize, bits = s * 8;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  const n = s === 8 ? (h !== 0 ? clz32(h) : 32 + clz32(v)) : clz32(v) - (32 - bits);
  const st = c.state;
  st.setRflags((st.getRflags() & ~(Flag.CF | Flag.ZF | Flag.AF | Flag.SF | Flag.PF)) | (n === bits ? Flag.CF : 0) | (n === 0 ? Flag.ZF : 0));
  c.setReg(s, i.reg, n, 0);
};
function pop32(v: number): number { v = v - ((v >>> 1) & 0x55555555); v = (v & 0x33333333) + ((v >>> 2) & 0x33333333); return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24; }
const popcnt: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = s === 8 ? c.hi : 0;
  const n = pop32(v) + pop32(h);
  const st = c.state;
  st.setRflags((st.getRflags() & ~STATUS) | (n === 0 ? Flag.ZF : 0));
  c.setReg(s, i.reg, n, 0);
};

const setcc: Handler = (c, i) => c.writeE(i, cond(c.state.getRflags(), i.opcode & 15) ? 1 : 0, 0, 1);
const cmov: Handler = (c, i) => {
  const s = i.opsize;
  const v = c.readE(i), h = c.hi;
  if (cond(c.state.getRflags(), i.opcode & 15)) c.setReg(s, i.reg, v, h);
  else if (s === 4) c.r32[(i.reg << 1) + 1] = 0; // 32-bit destination is zero-extended either way
};

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
const bswap: Handler = (c, i) => {
  const s = i.opsize, r = i.opReg;
  if (s === 8) { const lo = c.getReg(8, r), hi = c.hi; c.setReg(8, r, bswap32(hi), bswap32(lo)); }
  else if (s === 4) c.setReg(4, r, bswap32(c.getReg(4, r)), 0);
  else c.setReg(2, r, 0, 0); // undefined in the SDM; real processors produce 0
};
const movbe: Handler = (c, i) => {
  const s = i.opsize;
  if (i.opcode === 0xf0) {
    const v = c.read(s, c.ea), h = c.hi;
    if (s === 8) c.setReg(8, i.reg, bswap32(h), bswap32(v));
    else if (s === 4) c.setReg(4, i.reg, bswap32(v), 0);
    else c.setReg(2, i.reg, ((v & 0xff) << 8) | (v >>> 8), 0);
  } else {
    const v = c.getReg(s, i.reg), h = c.hi;
    if (s === 8) c.write(8, c.ea, bswap32(h), bswap32(v));
    else if (s === 4) c.write(4, c.ea, bswap32(v), 0);
    else c.write(2, c.ea, ((v & 0xff) << 8) | (v >>> 8), 0);
  }
};

const cmpxchg: Handler = (c, i) => {
  const s = i.opsize;
  if (i.mod !== 3) c.probeWrite(c.ea, s); // the destination is always written (SDM CMPXCHG)
  const d = c.readE(i), dH = s === 8 ? c.hi : 0;
  const a = c.getReg(s, 0), aH = s === 8 ? c.hi : 0;
  sub(c, s, a, aH, d, dH, 0);
  if (c.state.getRflags() & Flag.ZF) {
    const v = c.getReg(s, i.reg);
    c.writeE(i, v, c.hi);
  } else {
    // Memory is written back with its own value; a register destination is left untouched.
    if (i.mod !== 3) c.writeE(i, d, dH);
    c.setReg(s, 0, d, dH);
  }
};
const cmpxchg8b: Handler = (c, i) => {
  const r = c.r32, wide = i.opsize === 8;
  const ea = c.ea;
  if (wide && (ea % 16 + 16) % 16 !== 0) throw new CpuFault(Vector.GP, 0);
  c.probeWrite(ea, wide ? 16 : 8);
  const st = c.state;
  if (wide) {
    const m0 = c.read64(ea), m0h = c.hi, m1 = c.read64(ea + 8), m1h = c.hi;
    if (m0 === r[0] && m0h === r[1] && m1 === r[4] && m1h === r[5]) {
      c.write64(ea, r[6], r[7]); c.write64(ea + 8, r[2], r[3]);
      st.setRflags(st.getRflags() | Flag.ZF);
    } else {
      c.write64(ea, m0, m0h); c.write64(ea + 8, m1, m1h);
      r[0] = m0; r[1] = m0h; r[4] = m1; r[5] = m1h;
      st.setRflags(st.getRflags() & ~Flag.ZF);
    }
    return;
  }
  const lo = c.read32(ea), hi = c.read32(ea + 4);
  if (lo === r[0] && hi === r[4]) {
    c.write32(ea, r[6]); c.write32(ea + 4, r[2]);
    st.setRflags(st.getRflags() | Flag.ZF);
  } else {
    c.write32(ea, lo); c.write32(ea + 4, hi);
    r[0] = lo; r[1] = 0; r[4] = hi; r[5] = 0;
    st.setRflags(st.getRflags() & ~Flag.ZF);
  }
};
const xadd: Handler = (c, i) => {
  const s = i.opsize;
  const d = c.readE(i), dH = s === 8 ? c.hi : 0;
  const v = c.getReg(s, i.reg), vH = s === 8 ? c.hi : 0;
  const sum = add(c, s, d, dH, v, vH, 0), sumH = c.hi;
  if (i.mod !== 3) c.probeWrite(c.ea, s);
  c.setReg(s, i.reg, d, dH);
  c.writeE(i, sum, sumH);
};

/** LAHF/SAHF (64-bit mode requires CPUID.80000001H:ECX.LAHF-SAHF, which we report). */
const lahf: Handler = (c) => c.setReg(1, 4, c.state.getRflags() & 0xd7, 0);
const sahf: Handler = (c) => {
  const st = c.state;
  const ah = (c.r32[0] >>> 8) & 0xff;
  st.setRflags((st.getRflags() & ~0xd5) | (ah & 0xd5));
};

const xlat: Handler = (c, i) => {
  const r = c.r32;
  let lo = r[6] + (r[0] & 0xff), hi = i.addrsize === 8 ? r[7] : 0;
  if (lo >= TWO32) { lo -= TWO32; hi = (hi + 1) >>> 0; }
  if (i.addrsize === 4) lo >>>= 0;
  const v = c.read8(c.linearOf(i.seg, lo, hi));
  c.setReg(1, 0, v, 0);
};

const ud: Handler = () => { throw new CpuFault(Vector.UD); };

export const INTEGER_HANDLERS: Record<string, Handler> = {
  aluEG, aluGE, aluAI, aluEI, testEG, testAI, testEI, movEG, movGE, movEI, movZI, movAO, movOA, movESw, movSwE,
  lea, movsxd, movzx, movsx, cbw, cwd, xchgEG, xchgZA, nop90, nopE, incZ, decZ, incDecE, notE, negE, mulDiv,
  imul2, imul3, shift: shiftH, shxd, btG, btI, bsf, bsr, tzcnt, lzcnt, popcnt, setcc, cmov, bswap, movbe,
  cmpxchg, cmpxchg8b, xadd, lahf, sahf, xlat, ud,
};
