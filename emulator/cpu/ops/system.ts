// Handlers for system instructions (Intel SDM vol. 2): HLT, CPUID, RDTSC(P), RDMSR/WRMSR,
// MOV to/from CR and DR, LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR, SMSW/LMSW/CLTS, INVLPG,
// WBINVD/INVD, SWAPGS, SYSCALL/SYSRET, PAUSE, CLAC/STAC. In VMX non-root operation the
// privilege checks that have priority over VM exits (SDM vol. 3C 26.1.1) come first, then
// the exit check, then the instruction's own checks.

import { Cr0, Cr4, Efer, Flag, Seg } from '../state';
import { CpuFault, Vector } from '../signals';
import type { Cpu } from '../cpu';
import type { DecodedInsn } from '../../decoder/decoder';
import type { Handler } from '../handlers';
import { cpuid as cpuidLeaf } from '../cpuid';
import { readMsr, writeMsr, stored, Msr } from '../msr';
import { readTsc } from '../../devices/tsc';
import { MAX_PHYS_BITS } from '../paging';
import { Ar, descriptorAddress, readDescriptor, loadNull } from '../segments';
import { memoryInfo } from './vmxOps';
import { exited, intercept } from './intercept';
import { join } from '../halves';

const TWO32 = 4294967296;
const CANON = 140737488355328;
const gp0 = () => new CpuFault(Vector.GP, 0);

function requireCpl0(c: Cpu): void { if (c.state.cpl !== 0) throw gp0(); }
const nonRoot = (c: Cpu) => c.vmx !== undefined && c.vmx.nonRoot;

const hlt: Handler = (c) => {
  requireCpl0(c);
  if (exited(c, { kind: 'hlt' })) return;
  c.state.halted = true;
};

const cpuidOut = new Uint32Array(4);
const cpuid: Handler = (c) => {
  if (exited(c, { kind: 'cpuid' })) return;
  const r = c.r32;
  cpuidLeaf(r[0], r[2], c.vmx !== undefined, cpuidOut);
  r[0] = cpuidOut[0]; r[1] = 0; r[6] = cpuidOut[1]; r[7] = 0; r[2] = cpuidOut[2]; r[3] = 0; r[4] = cpuidOut[3]; r[5] = 0;
};

function tscValue(c: Cpu): bigint {
  return BigInt.asUintN(64, readTsc(c.state) + (nonRoot(c) ? c.vmx!.tscOffset : 0n));
}
function setEdxEax(c: Cpu, v: bigint): void {
  const r = c.r32;
  r[0] = Number(v & 0xffffffffn); r[1] = 0; r[4] = Number((v >> 32n) & 0xffffffffn); r[5] = 0;
}
const rdtsc: Handler = (c) => {
  if ((c.state.cr4 & Cr4.TSD) && c.state.cpl > 0) throw gp0();
  intercept(c, { kind: 'rdtsc' });
  setEdxEax(c, tscValue(c));
};
const rdtscp: Handler = (c) => {
  if ((c.state.cr4 & Cr4.TSD) && c.state.cpl > 0) throw gp0();
  intercept(c, { kind: 'rdtscp' });
  setEdxEax(c, tscValue(c));
  c.r32[2] = Number(stored(c, Msr.TSC_AUX) & 0xffffffffn); c.r32[3] = 0;
};
const rdpmc: Handler = (c) => {
  if (!(c.state.cr4 & Cr4.PCE) && c.state.cpl > 0) throw gp0();
  intercept(c, { kind: 'rdpmc' });
  throw gp0(); // no performance counters
};
const rdmsr: Handler = (c) => {
  requireCpl0(c);
  const msr = c.r32[2];
  intercept(c, { kind: 'rdmsr', msr });
  setEdxEax(c, readMsr(c, msr));
};
const wrmsr: Handler = (c) => {
  requireCpl0(c);
  const r = c.r32, msr = r[2];
  intercept(c, { kind: 'wrmsr', msr });
  writeMsr(c, msr, join(r[0], r[4]));
};

// ---- control and debug registers (SDM MOV—Move to/from Control Registers, 2.5) ----

const CR4_SUPPORTED = Cr4.VME | Cr4.PVI | Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE
  | Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.UMIP | Cr4.VMXE | Cr4.FSGSBASE | Cr4.SMEP | Cr4.SMAP;

function crRegister(i: DecodedInsn): number {
  const cr = i.reg;
  if (cr !== 0 && cr !== 2 && cr !== 3 && cr !== 4 && cr !== 8) throw new CpuFault(Vector.UD);
  return cr;
}

function readCr(c: Cpu, cr: number): bigint {
  const st = c.state;
  switch (cr) {
    case 0: return BigInt(st.cr0 >>> 0);
    case 2: return st.cr2;
    case 3: return st.cr3;
    case 4: return BigInt(st.cr4 >>> 0);
    default: return BigInt(st.cr8);
  }
}

const movFromCr: Handler = (c, i) => {
  requireCpl0(c);
  const cr = crRegister(i);
  let v = readCr(c, cr);
  if (cr !== 2 && nonRoot(c)) v = c.vmx!.movFromCr(cr, i.rm, v);
  if (c.mode64) c.setReg(8, i.rm, Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  else c.setReg(4, i.rm, Number(v & 0xffffffffn), 0);
};

/** VMX fixed bits (IA32_VMX_CR0/CR4_FIXED0/1) in VMX operation, root and non-root (SDM 24.8). */
function vmxFixedOk(c: Cpu, v: number, fixed0Msr: number): boolean {
  const vmx = c.vmx;
  if (vmx === undefined || !vmx.inVmxOperation) return true;
  const f0 = vmx.readCapabilityMsr(fixed0Msr), f1 = vmx.readCapabilityMsr(fixed0Msr + 1);
  if (f0 === undefined || f1 === undefined) return true;
  let n0 = Number(f0 & 0xffffffffn);
  const n1 = Number(f1 & 0xffffffffn);
  // In non-root operation an unrestricted guest may clear PE and PG (SDM 24.8); we do not see that control here.
  if (vmx.nonRoot && fixed0Msr === 0x486) n0 &= ~(Cr0.PE | Cr0.PG);
  return ((v & n0) >>> 0) === (n0 >>> 0) && ((v & ~n1) >>> 0) === 0;
}

export function writeCr(c: Cpu, cr: number, v: bigint): void {
  const st = c.state;
  switch (cr) {
    case 0: {
      if (v >> 32n) throw gp0();
      let n = Number(v) & 0xe005003f;
      n |= Cr0.ET;
      if ((n & Cr0.PG) && !(n & Cr0.PE)) throw gp0();
      if ((n & Cr0.NW) && !(n & Cr0.CD)) throw gp0();
      const wasPg = (st.cr0 & Cr0.PG) !== 0, pg = (n & Cr0.PG) !== 0;
      if (pg && !wasPg && (st.efer & Efer.LME) && !(st.cr4 & Cr4.PAE)) throw gp0();
      if (!pg && wasPg && c.mode64) throw gp0();
      if (!vmxFixedOk(c, n, 0x486)) throw gp0();
      st.cr0 = n;
      if (pg && !wasPg && (st.efer & Efer.LME)) st.efer |= Efer.LMA;
      if (!pg && wasPg) st.efer &= ~Efer.LMA;
      c.flushTlb();
      return;
    }
    case 2: st.cr2 = BigInt.asUintN(64, v); return;
    case 3:
      if (v >> BigInt(MAX_PHYS_BITS)) throw gp0();
      st.cr3 = v;
      c.flushTlb();
      return;
    case 4: {
      if (v >> 32n) throw gp0();
      const n = Number(v);
      if (n & ~CR4_SUPPORTED) throw gp0();
      if (st.longMode && !(n & Cr4.PAE)) throw gp0();
      if (!(n & Cr4.VMXE) && c.vmx?.inVmxOperation) throw gp0();
      if (!vmxFixedOk(c, n, 0x488)) throw gp0();
      st.cr4 = n;
      c.flushTlb();
      return;
    }
    default:
      if (v > 15n) throw gp0();
      st.cr8 = Number(v);
  }
}

const movToCr: Handler = (c, i) => {
  requireCpl0(c);
  const cr = crRegister(i);
  let v: bigint;
  if (c.mode64) { const lo = c.getReg(8, i.rm); v = join(lo, c.hi); }
  else v = BigInt(c.getReg(4, i.rm));
  if (cr !== 2 && nonRoot(c)) v = c.vmx!.movToCr(cr, i.rm, v);
  writeCr(c, cr, v);
};

function drRegister(c: Cpu, i: DecodedInsn): number {
  let dr = i.reg;
  if (dr > 7) throw new CpuFault(Vector.UD);
  if (dr === 4 || dr === 5) {
    if (c.state.cr4 & Cr4.DE) throw new CpuFault(Vector.UD);
    dr += 2;
  }
  return dr;
}
const movFromDr: Handler = (c, i) => {
  requireCpl0(c);
  const dr = drRegister(c, i);
  intercept(c, { kind: 'mov-dr', dr: i.reg, toDr: false, gpr: i.rm });
  let v = c.state.dr[dr];
  if (dr === 6) v = (v | 0xffff0ff0n) & 0xffffffffn;
  if (dr === 7) v = (v | 0x400n) & 0xffffffffn;
  c.setReg(c.mode64 ? 8 : 4, i.rm, Number(v & 0xffffffffn), Number(v >> 32n));
};
const movToDr: Handler = (c, i) => {
  requireCpl0(c);
  const dr = drRegister(c, i);
  intercept(c, { kind: 'mov-dr', dr: i.reg, toDr: true, gpr: i.rm });
  const lo = c.getReg(c.mode64 ? 8 : 4, i.rm), hi = c.mode64 ? c.hi : 0;
  if ((dr === 6 || dr === 7) && hi !== 0) throw gp0();
  c.state.dr[dr] = join(lo, hi);
};

// ---- descriptor tables ----

/**
 * VM-exit instruction information for descriptor-table exits (SDM Tables 28-10/28-11): the
 * memory-operand fields of memoryInfo, instruction identity in 29:28; LLDT/LTR/SLDT/STR
 * register forms set bit 10 and Reg1 in 6:3; LGDT/LIDT/SGDT/SIDT put the operand size in bit 11.
 */
function tableInfo(i: DecodedInsn, identity: number, ldtTr: boolean): number {
  if (ldtTr && i.mod === 3) {
    const asz = i.addrsize === 2 ? 0 : i.addrsize === 4 ? 1 : 2;
    return ((i.rm << 3) | (asz << 7) | (1 << 10) | (identity << 28)) >>> 0;
  }
  const mem = memoryInfo(i);
  return (mem | (ldtTr ? 0 : (i.opsize >= 4 ? 1 << 11 : 0)) | (identity << 28)) >>> 0;
}

const DT_NAMES = ['sgdt', 'sidt', 'lgdt', 'lidt'] as const;
const descTable: Handler = (c, i) => {
  const st = c.state, op = i.reg & 7;
  const load = op >= 2;
  if (load) requireCpl0(c);
  else if ((st.cr4 & Cr4.UMIP) && st.cpl > 0) throw gp0();
  intercept(c, { kind: 'descriptor-table', instr: DT_NAMES[op], info: tableInfo(i, op, false), qualification: BigInt.asUintN(64, BigInt(i.disp)) });
  const table = op & 1 ? st.idtr : st.gdtr;
  const ea = c.ea;
  if (load) {
    const limit = c.read16(ea);
    let base: bigint;
    if (c.mode64) {
      const lo = c.read64(ea + 2);
      const b = join(lo, c.hi);
      if (BigInt.asIntN(48, b) !== BigInt.asIntN(64, b)) throw gp0();
      base = b;
    } else {
      const b = c.read32(ea + 2);
      base = BigInt(i.opsize === 2 ? b & 0xffffff : b);
    }
    table.limit = limit;
    table.base = base;
  } else {
    c.probeWrite(ea, c.mode64 ? 10 : 6);
    c.write16(ea, table.limit);
    if (c.mode64) c.write64(ea + 2, Number(table.base & 0xffffffffn), Number(table.base >> 32n));
    else c.write32(ea + 2, Number(table.base & 0xffffffffn));
  }
};

const GRP6 = ['sldt', 'str', 'lldt', 'ltr'] as const;
const grp6: Handler = (c, i) => {
  const st = c.state, op = i.reg & 7;
  if (op <= 1) {
    if ((st.cr4 & Cr4.UMIP) && st.cpl > 0) throw gp0();
    intercept(c, { kind: 'descriptor-table', instr: GRP6[op], info: tableInfo(i, op, true), qualification: i.mod === 3 ? 0n : BigInt.asUintN(64, BigInt(i.disp)) });
    const sel = st.seg[op === 0 ? Seg.LDTR : Seg.TR].selector;
    if (i.mod === 3) c.setReg(i.opsize, i.rm, sel, 0);
    else c.write16(c.ea, sel);
    return;
  }
  requireCpl0(c);
  intercept(c, { kind: 'descriptor-table', instr: GRP6[op], info: tableInfo(i, op, true), qualification: i.mod === 3 ? 0n : BigInt.asUintN(64, BigInt(i.disp)) });
  const sel = c.readE(i, 2);
  const seg = st.seg[op === 2 ? Seg.LDTR : Seg.TR];
  if ((sel & 0xfffc) === 0) {
    if (op === 3) throw gp0();
    loadNull(seg, sel);
    return;
  }
  if (sel & 4) throw new CpuFault(Vector.GP, sel & 0xfffc);
  const addr = descriptorAddress(c, sel);
  if (st.longMode && (sel & ~7) + 15 > st.gdtr.limit) throw new CpuFault(Vector.GP, sel & 0xfffc);
  const d = readDescriptor(c, addr, st.longMode);
  const type = d.attrs & 0xf;
  if ((d.attrs & Ar.S) || (op === 2 ? type !== 2 : type !== 9)) throw new CpuFault(Vector.GP, sel & 0xfffc);
  if (!(d.attrs & Ar.P)) throw new CpuFault(Vector.NP, sel & 0xfffc);
  if (op === 3) {
    // Mark the TSS busy in the GDT (SDM LTR).
    const saved = c.priv;
    c.priv = 2;
    try { c.write32(addr + 4, (d.hi | 0x200) >>> 0); } finally { c.priv = saved; }
    d.attrs |= 2;
  }
  seg.selector = sel;
  seg.base = d.base;
  seg.limit = d.limit;
  seg.attrs = d.attrs;
};

const smsw: Handler = (c, i) => {
  const st = c.state;
  if ((st.cr4 & Cr4.UMIP) && st.cpl > 0) throw gp0();
  if (i.mod === 3) c.setReg(i.opsize, i.rm, i.opsize === 2 ? st.cr0 & 0xffff : st.cr0 >>> 0, 0);
  else c.write16(c.ea, st.cr0 & 0xffff);
};
const lmsw: Handler = (c, i) => {
  requireCpl0(c);
  const v = c.readE(i, 2);
  intercept(c, { kind: 'lmsw', value: v, memory: i.mod !== 3, linear: i.mod !== 3 ? c.big(c.ea) : 0n });
  const st = c.state;
  // LMSW loads PE, MP, EM, TS; it cannot clear PE.
  st.cr0 = ((st.cr0 & ~0xe) | (v & 0xf) | (st.cr0 & Cr0.PE)) >>> 0;
  c.flushTlb();
};
const clts: Handler = (c) => {
  requireCpl0(c);
  intercept(c, { kind: 'clts' });
  c.state.cr0 &= ~Cr0.TS;
};
const invlpg: Handler = (c) => {
  requireCpl0(c);
  intercept(c, { kind: 'invlpg', linear: BigInt.asUintN(64, join(c.eaLo, c.eaHi)) });
  c.flushTlb();
};
const invd: Handler = (c) => { requireCpl0(c); intercept(c, { kind: 'invd' }); };
const wbinvd: Handler = (c) => { requireCpl0(c); intercept(c, { kind: 'wbinvd' }); };
const pause: Handler = (c) => intercept(c, { kind: 'pause' });
const clacStac: Handler = (c, i) => {
  const st = c.state;
  if (st.cpl > 0) throw new CpuFault(Vector.UD);
  st.setRflags(i.rm === 2 ? st.getRflags() & ~Flag.AC : st.getRflags() | Flag.AC);
  if (st.cr4 & Cr4.SMAP) c.flushTlb();
};

const swapgs: Handler = (c) => {
  requireCpl0(c);
  const st = c.state;
  const k = stored(c, Msr.KERNEL_GS_BASE);
  st.msr.set(Msr.KERNEL_GS_BASE, st.seg[Seg.GS].base);
  st.seg[Seg.GS].base = k;
};

// ---- SYSCALL / SYSRET (SDM vol. 2; flat segments loaded from IA32_STAR) ----

const syscall: Handler = (c) => {
  const st = c.state;
  if (!(st.efer & Efer.SCE) || !c.mode64) throw new CpuFault(Vector.UD);
  const r = c.r32;
  const ret = c.nextRip;
  r[2] = ((ret % TWO32) + TWO32) % TWO32; r[3] = Math.floor(ret / TWO32) >>> 0;
  const f = st.getRflags();
  r[22] = f & ~Flag.RF; r[23] = 0;
  const star = stored(c, Msr.STAR);
  const sel = Number((star >> 32n) & 0xffffn);
  const cs = st.seg[Seg.CS], ss = st.seg[Seg.SS];
  cs.selector = sel & 0xfffc; cs.base = 0n; cs.limit = 0xffffffff; cs.attrs = 0xb | Ar.S | Ar.P | Ar.L | Ar.G;
  ss.selector = (sel + 8) & 0xffff; ss.base = 0n; ss.limit = 0xffffffff; ss.attrs = 0x3 | Ar.S | Ar.P | Ar.DB | Ar.G;
  const fmask = Number(stored(c, Msr.FMASK) & 0xffffffffn);
  st.setRflags(f & ~fmask & ~Flag.RF);
  const lstar = Number(BigInt.asIntN(64, stored(c, Msr.LSTAR)));
  c.nextRip = lstar;
};

const sysret: Handler = (c, i) => {
  const st = c.state;
  if (!(st.efer & Efer.SCE) || !c.mode64) throw new CpuFault(Vector.UD);
  requireCpl0(c);
  const r = c.r32;
  const star = stored(c, Msr.STAR);
  const sel = Number((star >> 48n) & 0xffffn);
  const cs = st.seg[Seg.CS], ss = st.seg[Seg.SS];
  let target: number;
  if (i.opsize === 8) {
    target = (r[3] | 0) * TWO32 + r[2];
    if (target < -CANON || target >= CANON) throw gp0();
    cs.selector = ((sel + 16) | 3) & 0xffff; cs.attrs = 0xb | Ar.S | (3 << 5) | Ar.P | Ar.L | Ar.G;
  } else {
    target = r[2];
    cs.selector = (sel | 3) & 0xffff; cs.attrs = 0xb | Ar.S | (3 << 5) | Ar.P | Ar.DB | Ar.G;
  }
  cs.base = 0n; cs.limit = 0xffffffff;
  st.setRflags((r[22] & 0x3c7fd7) | 2);
  ss.selector = ((sel + 8) | 3) & 0xffff; ss.base = 0n; ss.limit = 0xffffffff;
  ss.attrs = 0x3 | Ar.S | (3 << 5) | Ar.P | Ar.DB | Ar.G;
  c.mode64 = i.opsize === 8;
  c.nextRip = target;
};

export const SYSTEM_HANDLERS: Record<string, Handler> = {
  hlt, cpuid, rdtsc, rdtscp, rdpmc, rdmsr, wrmsr, movFromCr, movToCr, movFromDr, movToDr, descTable, grp6, smsw,
  lmsw, clts, invlpg, invd, wbinvd, pause, clacStac, swapgs, syscall, sysret,
};
