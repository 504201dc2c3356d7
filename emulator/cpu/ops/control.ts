// Handlers for control transfer and stack instructions (Intel SDM vol. 2): Jcc/JMP/CALL/RET
// near and far, LOOP/JRCXZ, ENTER/LEAVE, PUSH/POP (incl. segment registers), PUSHF/POPF,
// flag instructions, INT n/INT3/INTO/INT1 and IRET.

import { Flag, Seg, Cr4 } from '../state';
import { CpuFault, Vector } from '../signals';
import type { Cpu } from '../cpu';
import type { DecodedInsn } from '../../decoder/decoder';
import type { Handler } from '../handlers';
import { cond } from './integer';
import { push, pop, peek, adjustRsp, stackAddr } from '../stack';
import { Ar, fetchCodeDescriptor, loadCs, loadDataSegment, conforming, descriptorAddress, readDescriptor, writableData, nullInaccessibleSegments, loadCache, loadNull } from '../segments';
import { softwareInterrupt, EventKind } from '../interrupts';

const TWO32 = 4294967296;
const CANON = 140737488355328;

/** Set the branch target (SDM: #GP(0) for a non-canonical target in 64-bit mode). */
export function branch(c: Cpu, target: number, size: number): void {
  if (c.mode64) {
    if (target < -CANON || target >= CANON) throw new CpuFault(Vector.GP, 0);
    c.nextRip = target;
  } else c.nextRip = size === 2 ? ((target % 65536) + 65536) % 65536 : ((target % TWO32) + TWO32) % TWO32;
}

const ripLo = (n: number) => ((n % TWO32) + TWO32) % TWO32;
const ripHi = (n: number) => Math.floor(n / TWO32) >>> 0;

const jcc: Handler = (c, i) => { if (cond(c.state.getRflags(), i.opcode & 15)) branch(c, c.nextRip + i.imm, i.opsize); };
const jmpNear: Handler = (c, i) => branch(c, c.nextRip + i.imm, i.opsize);
const callNear: Handler = (c, i) => {
  const ret = c.nextRip;
  branch(c, ret + i.imm, i.opsize);
  push(c, i.opsize, ripLo(ret), ripHi(ret));
};
function operandTarget(c: Cpu, i: DecodedInsn): number {
  const lo = c.readE(i);
  return i.opsize === 8 ? (c.hi | 0) * TWO32 + lo : lo;
}
const jmpE: Handler = (c, i) => branch(c, operandTarget(c, i), i.opsize);
const callE: Handler = (c, i) => {
  const ret = c.nextRip;
  branch(c, operandTarget(c, i), i.opsize);
  push(c, i.opsize, ripLo(ret), ripHi(ret));
};
const retNear: Handler = (c, i) => {
  const s = i.opsize;
  const lo = peek(c, s, 0);
  branch(c, s === 8 ? (c.hi | 0) * TWO32 + lo : lo, s);
  adjustRsp(c, s + (i.opcode === 0xc2 ? i.imm & 0xffff : 0));
};

function counter(c: Cpu, i: DecodedInsn): number {
  const r = c.r32;
  if (i.addrsize === 8) {
    let lo = r[2] - 1, hi = r[3];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) >>> 0; }
    r[2] = lo; r[3] = hi;
    return lo | hi;
  }
  if (i.addrsize === 4) { r[2] = (r[2] - 1) >>> 0; r[3] = 0; return r[2]; }
  r[2] = (r[2] & 0xffff0000) | ((r[2] - 1) & 0xffff);
  return r[2] & 0xffff;
}
const loop: Handler = (c, i) => {
  const n = counter(c, i);
  const zf = (c.state.getRflags() & Flag.ZF) !== 0;
  const take = n !== 0 && (i.opcode === 0xe2 || (i.opcode === 0xe1 ? zf : !zf));
  if (take) branch(c, c.nextRip + i.imm, i.opsize);
};
const jrcxz: Handler = (c, i) => {
  const r = c.r32;
  const zero = i.addrsize === 8 ? (r[2] | r[3]) === 0 : i.addrsize === 4 ? r[2] === 0 : (r[2] & 0xffff) === 0;
  if (zero) branch(c, c.nextRip + i.imm, i.opsize);
};

const pushZ: Handler = (c, i) => { const v = c.getReg(i.opsize, i.opReg); push(c, i.opsize, v, c.hi); };
const popZ: Handler = (c, i) => { const v = pop(c, i.opsize); c.setReg(i.opsize, i.opReg, v, c.hi); };
const pushI: Handler = (c, i) => {
  const s = i.opsize;
  push(c, s, s === 2 ? i.imm & 0xffff : i.imm >>> 0, s === 8 && i.imm < 0 ? 0xffffffff : 0);
};
const pushE: Handler = (c, i) => { const v = c.readE(i); push(c, i.opsize, v, c.hi); };
const popE: Handler = (c, i) => {
  // The memory operand's address uses RSP after the pop (SDM POP).
  const s = i.opsize;
  const v = c.read(s, stackAddr(c, 0)), h = c.hi;
  if (i.mod === 3) { adjustRsp(c, s); c.setReg(s, i.rm, v, h); return; }
  adjustRsp(c, s);
  try {
    c.computeEa(i);
    c.write(s, c.ea, v, h);
  } catch (e) { adjustRsp(c, -s); throw e; }
};
function sregOf(i: DecodedInsn): number {
  if (i.map === 1) return i.opcode === 0xa0 || i.opcode === 0xa1 ? Seg.FS : Seg.GS;
  return i.opcode >> 3;
}
const pushSeg: Handler = (c, i) => push(c, i.opsize, c.state.seg[sregOf(i)].selector, 0);
const popSeg: Handler = (c, i) => {
  const s = i.opsize, seg = sregOf(i);
  const sel = peek(c, s, 0) & 0xffff;
  loadDataSegment(c, seg, sel);
  adjustRsp(c, s);
  if (seg === Seg.SS) c.shadowSet = true;
};

const enter: Handler = (c, i) => {
  const s = i.opsize;
  const size = i.imm & 0xffff, level = i.imm2 & 31;
  const rbp = c.getReg(s, 5), rbpH = c.hi;
  push(c, s, rbp, rbpH);
  const frame = c.getReg(s, 4), frameH = c.hi;
  if (level > 0) {
    let p = s === 8 ? (rbpH | 0) * TWO32 + rbp : rbp;
    for (let k = 1; k < level; k++) {
      p -= s;
      const v = c.read(s, c.mode64 ? p : (c.segBase32(Seg.SS) + (p >>> 0)) % TWO32);
      push(c, s, v, c.hi);
    }
    push(c, s, frame, frameH);
  }
  stackAddr(c, -size); // #SS if the new stack top is not canonical
  c.setReg(s, 5, frame, frameH);
  adjustRsp(c, -size);
};
const leave: Handler = (c, i) => {
  const s = i.opsize;
  const bp = c.getReg(s === 2 ? 2 : 8, 5), bpH = c.hi;
  const saved0 = c.r32[8], saved1 = c.r32[9];
  c.setReg(s === 2 ? 2 : c.mode64 ? 8 : 4, 4, bp, bpH);
  try {
    const v = pop(c, s);
    c.setReg(s, 5, v, c.hi);
  } catch (e) { c.r32[8] = saved0; c.r32[9] = saved1; throw e; }
};

// ---- flags ----

const pushf: Handler = (c, i) => push(c, i.opsize, c.state.getRflags() & ~(Flag.VM | Flag.RF) & (i.opsize === 2 ? 0xffff : 0xffffffff), 0);
/** Flags POPF may change at the current privilege (SDM POPF, protected mode). */
export function writableFlags(c: Cpu, size: number): number {
  const st = c.state;
  const f = st.getRflags();
  const cpl = st.cpl, iopl = (f >> 12) & 3;
  let mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.AC | Flag.ID;
  if (cpl === 0) mask |= Flag.IF | Flag.IOPL;
  else if (cpl <= iopl) mask |= Flag.IF;
  return size === 2 ? mask & 0xffff : mask;
}
const popf: Handler = (c, i) => {
  const st = c.state;
  const v = peek(c, i.opsize, 0);
  const mask = writableFlags(c, i.opsize);
  const old = st.getRflags();
  st.setRflags(((old & ~mask) | (v & mask)) & ~Flag.RF);
  adjustRsp(c, i.opsize);
  if (((old ^ v) & Flag.AC & mask) && (st.cr4 & Cr4.SMAP)) c.flushTlb();
};
const flagOp: Handler = (c, i) => {
  const st = c.state;
  const f = st.getRflags();
  switch (i.opcode) {
    case 0xf5: st.setRflags(f ^ Flag.CF); break;
    case 0xf8: st.setRflags(f & ~Flag.CF); break;
    case 0xf9: st.setRflags(f | Flag.CF); break;
    case 0xfc: st.setRflags(f & ~Flag.DF); break;
    case 0xfd: st.setRflags(f | Flag.DF); break;
    default: { // CLI / STI (SDM: #GP(0) if CPL > IOPL, protected mode without VME/PVI)
      if (st.cpl > ((f >> 12) & 3)) throw new CpuFault(Vector.GP, 0);
      if (i.opcode === 0xfa) st.setRflags(f & ~Flag.IF);
      else { if (!(f & Flag.IF)) c.shadowSet = true; st.setRflags(f | Flag.IF); }
    }
  }
};

// ---- software interrupts ----

const int3: Handler = (c) => softwareInterrupt(c, Vector.BP, EventKind.SoftwareException);
const intN: Handler = (c, i) => softwareInterrupt(c, i.imm & 0xff, EventKind.Software);
const into: Handler = (c) => { if (c.state.getRflags() & Flag.OF) softwareInterrupt(c, Vector.OF, EventKind.SoftwareException); };
const int1: Handler = (c) => softwareInterrupt(c, Vector.DB, EventKind.PrivilegedSoftware);

// ---- far transfers ----

/** Check a code segment for a return (RET far / IRET) to privilege RPL (SDM RET "return to ..."). */
function returnCodeSegment(c: Cpu, sel: number): { addr: number; d: ReturnType<typeof readDescriptor> } {
  const cpl = c.state.cpl, rpl = sel & 3;
  const { addr, d } = fetchCodeDescriptor(c, sel);
  if (rpl < cpl) throw new CpuFault(Vector.GP, sel & 0xfffc);
  if (conforming(d.attrs) ? d.dpl > rpl : d.dpl !== rpl) throw new CpuFault(Vector.GP, sel & 0xfffc);
  if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.NP, sel & 0xfffc);
  if ((d.attrs & Ar.L) && (d.attrs & Ar.DB)) throw new CpuFault(Vector.GP, sel & 0xfffc);
  return { addr, d };
}

/** Load SS for a return to an outer level, or to the same level in 64-bit mode (null allowed below CPL 3). */
function returnStackSegment(c: Cpu, sel: number, rpl: number, to64: boolean): void {
  const ss = c.state.seg[Seg.SS];
  if ((sel & 0xfffc) === 0) {
    if (!to64 || rpl === 3) throw new CpuFault(Vector.GP, 0);
    loadNull(ss, sel, rpl);
    return;
  }
  if ((sel & 3) !== rpl) throw new CpuFault(Vector.GP, sel & 0xfffc);
  const addr = descriptorAddress(c, sel);
  const d = readDescriptor(c, addr);
  if (!writableData(d.attrs) || d.dpl !== rpl) throw new CpuFault(Vector.GP, sel & 0xfffc);
  if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.SS, sel & 0xfffc);
  loadCache(ss, sel, d);
}

const retFar: Handler = (c, i) => {
  const s = i.opsize, st = c.state;
  const imm = i.opcode === 0xca ? i.imm & 0xffff : 0;
  const lo = peek(c, s, 0), hi = s === 8 ? c.hi : 0;
  const sel = peek(c, s, s) & 0xffff;
  const cpl = st.cpl, rpl = sel & 3;
  const { addr, d } = returnCodeSegment(c, sel);
  const to64 = (d.attrs & Ar.L) !== 0 && st.longMode;
  const target = s === 8 ? (hi | 0) * TWO32 + lo : lo;
  if (to64 && (target < -CANON || target >= CANON)) throw new CpuFault(Vector.GP, 0);
  if (rpl === cpl) {
    loadCs(c, sel, rpl, addr, d);
    adjustRsp(c, 2 * s + imm);
  } else {
    const spLo = peek(c, s, 2 * s + imm), spHi = s === 8 ? c.hi : 0;
    const ssSel = peek(c, s, 3 * s + imm) & 0xffff;
    returnStackSegment(c, ssSel, rpl, to64);
    loadCs(c, sel, rpl, addr, d);
    c.r32[8] = spLo; c.r32[9] = spHi;
    c.mode64 = to64;
    adjustRsp(c, imm);
    nullInaccessibleSegments(c, rpl);
  }
  c.mode64 = to64;
  c.nextRip = to64 ? target : target >>> 0;
  c.flushTlb();
};

const iret: Handler = (c, i) => {
  const s = i.opsize, st = c.state;
  const f0 = st.getRflags();
  if (!st.longMode) throw new CpuFault(Vector.GP, 0);
  if (f0 & Flag.NT) throw new CpuFault(Vector.GP, 0); // no task return in IA-32e mode
  const lo = peek(c, s, 0), hi = s === 8 ? c.hi : 0;
  const sel = peek(c, s, s) & 0xffff;
  const flags = peek(c, s, 2 * s);
  const cpl = st.cpl, rpl = sel & 3;
  const { addr, d } = returnCodeSegment(c, sel);
  const to64 = (d.attrs & Ar.L) !== 0;
  const target = s === 8 ? (hi | 0) * TWO32 + lo : lo;
  if (to64 && (target < -CANON || target >= CANON)) throw new CpuFault(Vector.GP, 0);
  const popStack = c.mode64 || rpl > cpl;
  let spLo = 0, spHi = 0, ssSel = 0;
  if (popStack) {
    spLo = peek(c, s, 3 * s); spHi = s === 8 ? c.hi : 0;
    ssSel = peek(c, s, 4 * s) & 0xffff;
    returnStackSegment(c, ssSel, rpl, to64);
  }
  // RFLAGS: privilege rules as POPF, plus RF (SDM IRET "RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL").
  let mask = writableFlags(c, s === 2 ? 2 : 4) | Flag.RF;
  if (cpl === 0) mask |= Flag.VIF | Flag.VIP;
  const nf = (f0 & ~mask) | (flags & mask);
  loadCs(c, sel, rpl, addr, d);
  st.setRflags(nf & ~Flag.VM);
  if (popStack) { c.r32[8] = spLo; c.r32[9] = spHi; }
  else adjustRsp(c, 3 * s);
  if (rpl > cpl) nullInaccessibleSegments(c, rpl);
  c.mode64 = to64;
  c.nextRip = to64 ? target : target >>> 0;
  if (((f0 ^ nf) & Flag.AC) && (st.cr4 & Cr4.SMAP)) c.flushTlb();
};

/** Far pointer operand m16:16/32/64: offset of the operand size, then the selector. */
function farPointer(c: Cpu, i: DecodedInsn): { lo: number; hi: number; sel: number } {
  const s = i.opsize;
  const lo = c.read(s, c.ea), hi = s === 8 ? c.hi : 0;
  const sel = c.read16(c.ea + s);
  return { lo, hi, sel };
}

/** JMP/CALL far to a code segment at the same privilege (no call gates, SDM JMP/CALL far). */
function farTarget(c: Cpu, sel: number): { addr: number; d: ReturnType<typeof readDescriptor> } {
  const cpl = c.state.cpl;
  const { addr, d } = fetchCodeDescriptor(c, sel);
  if (conforming(d.attrs) ? d.dpl > cpl : ((sel & 3) > cpl || d.dpl !== cpl)) throw new CpuFault(Vector.GP, sel & 0xfffc);
  if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.NP, sel & 0xfffc);
  return { addr, d };
}
function farJump(c: Cpu, sel: number, lo: number, hi: number, s: number, addr: number, d: ReturnType<typeof readDescriptor>): void {
  const to64 = (d.attrs & Ar.L) !== 0 && c.state.longMode;
  const target = s === 8 ? (hi | 0) * TWO32 + lo : lo;
  if (to64 && (target < -CANON || target >= CANON)) throw new CpuFault(Vector.GP, 0);
  loadCs(c, sel, c.state.cpl, addr, d);
  c.mode64 = to64;
  c.nextRip = to64 ? target : target >>> 0;
}
const jmpFarM: Handler = (c, i) => {
  const { lo, hi, sel } = farPointer(c, i);
  const { addr, d } = farTarget(c, sel);
  farJump(c, sel, lo, hi, i.opsize, addr, d);
};
const callFarM: Handler = (c, i) => {
  const s = i.opsize;
  const { lo, hi, sel } = farPointer(c, i);
  const { addr, d } = farTarget(c, sel);
  const cs = c.state.seg[Seg.CS].selector;
  const ret = c.nextRip;
  stackAddr(c, -2 * s);
  push(c, s, cs, 0);
  push(c, s, ripLo(ret), ripHi(ret));
  farJump(c, sel, lo, hi, s, addr, d);
};
/** JMP/CALL ptr16:16/32 (EA/9A, not in 64-bit mode): offset in imm, selector in imm2. */
const jmpFarA: Handler = (c, i) => {
  const { addr, d } = farTarget(c, i.imm2);
  farJump(c, i.imm2, i.imm >>> 0, 0, i.opsize, addr, d);
};
const callFarA: Handler = (c, i) => {
  const s = i.opsize;
  const { addr, d } = farTarget(c, i.imm2);
  const cs = c.state.seg[Seg.CS].selector;
  const ret = c.nextRip;
  stackAddr(c, -2 * s);
  push(c, s, cs, 0);
  push(c, s, ripLo(ret), ripHi(ret));
  farJump(c, i.imm2, i.imm >>> 0, 0, s, addr, d);
};
const loadFarPtr: Handler = (c, i) => {
  const { lo, hi, sel } = farPointer(c, i);
  const seg = i.opcode === 0xb2 ? Seg.SS : i.opcode === 0xb4 ? Seg.FS : Seg.GS;
  loadDataSegment(c, seg, sel);
  c.setReg(i.opsize, i.reg, lo, hi);
};

export const CONTROL_HANDLERS: Record<string, Handler> = {
  jcc, jmpNear, callNear, jmpE, callE, retNear, loop, jrcxz, pushZ, popZ, pushI, pushE, popE, pushSeg, popSeg,
  enter, leave, pushf, popf, flagOp, int3, intN, into, int1, retFar, iret, jmpFarM, callFarM, jmpFarA, callFarA, loadFarPtr,
};
