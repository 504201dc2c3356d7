// Exception and interrupt delivery in IA-32e mode (Intel SDM vol. 3A 6.14: 16-byte IDT gates,
// IST, stack switch on privilege change, error codes), CR2 for #PF, the double-fault rules of
// 6.15 Table 6-5 and triple fault (shutdown, or a VM exit in VMX non-root operation).

import { Flag, Seg, SEG_ATTR_UNUSABLE } from './state';
import { CpuFault, Vector } from './signals';
import type { Cpu } from './cpu';
import { Ar, descriptorAddress, readDescriptor, loadCs, readTss64, conforming } from './segments';

export const enum EventKind {
  /** Hardware exception (faults, traps, aborts raised by the processor). */
  Hardware = 0,
  /** INT n. */
  Software = 1,
  /** INT3 / INTO. */
  SoftwareException = 2,
  /** INT1 (ICEBP). */
  PrivilegedSoftware = 3,
  /** External interrupt or NMI. */
  External = 4,
}

/** VMCS interruption types (SDM 25.8.3) by event kind. */
const EVENT_TYPE = [3, 4, 6, 5, 0];

const TWO32 = 4294967296;
const CANON = 140737488355328;

/** Exceptions that push an error code (SDM Table 6-1). */
function pushesErrorCode(v: number): boolean {
  return v === 8 || (v >= 10 && v <= 14) || v === 17 || v === 21;
}

/** Class of an exception for the double-fault rules (SDM Table 6-4). */
function klass(v: number): 0 | 1 | 2 {
  if (v === 0 || (v >= 10 && v <= 13)) return 1; // contributory
  if (v === 14) return 2; // page fault
  return 0; // benign
}

/** Deliver a fault raised while executing (or delivering), escalating per SDM Table 6-5. */
export function deliverFault(cpu: Cpu, first: CpuFault): void {
  let vector = first.vector, err = first.errorCode, cr2 = first.cr2;
  if (cpu.vmx?.nonRoot) cpu.vmx.eventDelivery = undefined;
  const ret = cpu.rip;
  for (;;) {
    try {
      deliverEvent(cpu, vector, err, EventKind.Hardware, ret, cr2, true);
      return;
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      if (vector === Vector.DF) { tripleFault(cpu, e, first); return; }
      const k1 = klass(vector), k2 = klass(e.vector);
      if ((k1 === 1 && k2 === 1) || (k1 === 2 && k2 !== 0)) { vector = Vector.DF; err = 0; cr2 = undefined; }
      else { vector = e.vector; err = e.errorCode; cr2 = e.cr2; }
    }
  }
}

function tripleFault(cpu: Cpu, last: CpuFault, first: CpuFault): void {
  const vmx = cpu.vmx;
  if (vmx !== undefined && vmx.nonRoot) vmx.tripleFault();
  cpu.state.shutdown = true;
  cpu.shutdownCause = { vector: last.vector, errorCode: last.errorCode, rip: cpu.state.rip, firstVector: first.vector };
}

/** Software-initiated events (INT n, INT3, INTO, INT1): the return RIP is the next instruction. */
export function softwareInterrupt(cpu: Cpu, vector: number, kind: EventKind): void {
  deliverEvent(cpu, vector, undefined, kind, cpu.nextRip, undefined, true);
  cpu.ripCommitted = true;
}

/** Single-step trap after an instruction with TF set (SDM 17.3.1.4): DR6.BS, #DB with the next RIP. */
export function singleStepTrap(cpu: Cpu): void {
  const st = cpu.state;
  st.dr[6] |= 1n << 14n;
  try {
    deliverEvent(cpu, Vector.DB, undefined, EventKind.Hardware, st.ripNum, undefined, true);
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    deliverFault(cpu, e);
  }
}

/**
 * Deliver one event through the IDT (SDM 6.14.1-6.14.5). Throws CpuFault when delivery itself
 * faults (the caller escalates), VmExitTaken when the exception bitmap makes it exit.
 */
export function deliverEvent(cpu: Cpu, vector: number, errorCode: number | undefined, kind: EventKind,
  returnRip: number, cr2: bigint | undefined, intercept: boolean): void {
  const st = cpu.state;
  const vmx = cpu.vmx;
  const guest = vmx !== undefined && vmx.nonRoot;
  if (guest) {
    // An exit for this exception reports the event whose delivery raised it (still recorded), SDM 28.2.4.
    if (intercept && kind !== EventKind.Software && kind !== EventKind.External) vmx.interceptException(vector, errorCode, kind !== EventKind.Hardware, cr2);
    vmx.eventDelivery = { vector, type: EVENT_TYPE[kind], errorCode: kind === EventKind.Hardware && pushesErrorCode(vector) ? errorCode ?? 0 : undefined };
  }
  if (vector === Vector.PF && cr2 !== undefined) st.cr2 = cr2;
  if (!st.longMode) throw new Error('exception delivery outside IA-32e mode is not implemented');
  const ext = kind === EventKind.Hardware || kind === EventKind.External ? 1 : 0;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 16 + 15 > st.idtr.limit) throw new CpuFault(Vector.GP, idtErr);
  const cpl = st.cpl;
  const saved = cpu.priv;
  cpu.priv = 2;
  let lo0: number, hi0: number, lo1: number;
  try {
    const gate = Number(BigInt.asIntN(64, st.idtr.base + BigInt(vector * 16)));
    lo0 = cpu.read32(gate);
    hi0 = cpu.read32(gate + 4);
    lo1 = cpu.read32(gate + 8);
  } finally { cpu.priv = saved; }
  const type = (hi0 >>> 8) & 0xf;
  const dpl = (hi0 >>> 13) & 3;
  if (type !== 0xe && type !== 0xf) throw new CpuFault(Vector.GP, idtErr);
  if ((kind === EventKind.Software || kind === EventKind.SoftwareException) && dpl < cpl) throw new CpuFault(Vector.GP, idtErr - ext);
  if (!(hi0 & 0x8000)) throw new CpuFault(Vector.NP, idtErr);
  const selector = lo0 >>> 16;
  const istIndex = (hi0 & 7);
  const target = (lo1 | 0) * TWO32 + (((hi0 & 0xffff0000) | (lo0 & 0xffff)) >>> 0);
  // Target code segment (SDM 6.14.1: must be a 64-bit code segment).
  if ((selector & 0xfffc) === 0) throw new CpuFault(Vector.GP, ext);
  const daddr = descriptorAddress(cpu, selector, Vector.GP, ext);
  const d = readDescriptor(cpu, daddr);
  const a = d.attrs;
  if (!(a & Ar.S) || !(a & 8) || !(a & Ar.L) || (a & Ar.DB) || d.dpl > cpl) throw new CpuFault(Vector.GP, (selector & 0xfffc) | ext);
  if (!(a & Ar.P)) throw new CpuFault(Vector.NP, (selector & 0xfffc) | ext);
  const newCpl = conforming(a) ? cpl : d.dpl;
  // New stack (SDM 6.14.4, 6.14.5).
  const r = cpu.r32;
  let spLo = r[8], spHi = r[9];
  if (!cpu.mode64) spHi = 0;
  if (istIndex !== 0 || newCpl < cpl) {
    const v = readTss64(cpu, istIndex !== 0 ? 0x24 + 8 * (istIndex - 1) : 4 + 8 * newCpl);
    spLo = Number(v & 0xffffffffn); spHi = Number(v >> 32n);
  }
  let sp = (spHi | 0) * TWO32 + spLo;
  sp -= ((sp % 16) + 16) % 16;
  if (!(sp >= -CANON && sp < CANON)) throw new CpuFault(Vector.SS, ext);
  if (!(target >= -CANON && target < CANON)) throw new CpuFault(Vector.GP, ext);
  // Frame: SS, RSP, RFLAGS, CS, RIP [, error code].
  const ss = st.seg[Seg.SS], cs = st.seg[Seg.CS];
  let rflags = st.getRflags();
  if (kind === EventKind.Hardware && vector !== Vector.DB && vector !== Vector.NMI && vector !== Vector.BP && vector !== Vector.OF) rflags |= Flag.RF;
  const withErr = kind === EventKind.Hardware && pushesErrorCode(vector);
  const frame = withErr ? 48 : 40;
  const base = sp - frame;
  const oldRspLo = r[8], oldRspHi = cpu.mode64 ? r[9] : 0;
  cpu.priv = newCpl === 3 ? 1 : 0;
  try {
    let o = 0;
    if (withErr) { cpu.write64(base, (errorCode ?? 0) >>> 0, 0); o = 8; }
    cpu.write64(base + o, ((returnRip % TWO32) + TWO32) % TWO32, Math.floor(returnRip / TWO32) >>> 0);
    cpu.write64(base + o + 8, cs.selector, 0);
    cpu.write64(base + o + 16, rflags >>> 0, 0);
    cpu.write64(base + o + 24, oldRspLo, oldRspHi);
    cpu.write64(base + o + 32, ss.selector, 0);
  } finally { cpu.priv = saved; }
  // Commit: CS, SS (null with RPL = new CPL on a privilege change), RSP, RIP, RFLAGS.
  loadCs(cpu, selector, newCpl, daddr, d);
  if (newCpl !== cpl) {
    ss.selector = newCpl;
    ss.base = 0n;
    ss.limit = 0;
    ss.attrs = SEG_ATTR_UNUSABLE | (newCpl << 5) | 0x13;
  }
  r[8] = ((base % TWO32) + TWO32) % TWO32;
  r[9] = Math.floor(base / TWO32) >>> 0;
  let f = rflags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM);
  if (type === 0xe) f &= ~Flag.IF;
  st.setRflags(f);
  st.halted = false;
  st.interruptShadow = 0;
  cpu.commitRip(target);
  cpu.mode64 = true;
  if (guest) vmx.eventDelivery = undefined;
}
