// Model-specific registers the processor implements (Intel SDM vol. 4), with RDMSR/WRMSR
// #GP(0) for unknown indexes and reserved bits. EFER, the FS/GS bases, SYSENTER_* and PAT live
// in CpuState fields; the rest in CpuState.msr with architectural reset values.

import { Cr0, Efer, Seg } from './state';
import { CpuFault, Vector } from './signals';
import type { Cpu } from './cpu';
import { readTsc, writeTsc } from '../devices/tsc';

export const enum Msr {
  TSC = 0x10, APIC_BASE = 0x1b, FEATURE_CONTROL = 0x3a, BIOS_SIGN_ID = 0x8b, MTRRCAP = 0xfe,
  SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175, SYSENTER_EIP = 0x176, MISC_ENABLE = 0x1a0, PAT = 0x277, MTRR_DEF_TYPE = 0x2ff,
  EFER = 0xc0000080, STAR = 0xc0000081, LSTAR = 0xc0000082, CSTAR = 0xc0000083, FMASK = 0xc0000084,
  FS_BASE = 0xc0000100, GS_BASE = 0xc0000101, KERNEL_GS_BASE = 0xc0000102, TSC_AUX = 0xc0000103,
}

const RESET: Record<number, bigint> = {
  [Msr.APIC_BASE]: 0xfee00900n, // BSP, xAPIC enabled
  [Msr.FEATURE_CONTROL]: 0n,
  [Msr.MISC_ENABLE]: 1n, // fast strings
};
/** IA32_FEATURE_CONTROL writable bits: lock, VMX in/outside SMX, SENTER, SGX/LMCE bits (SDM vol. 4 Table 2-2). */
const FEATURE_CONTROL_BITS = 0x1n | 0x2n | 0x4n | 0x7f00n | 0x8000n | 0x20000n | 0x40000n | 0x100000n;
const STORED = new Set<number>([Msr.APIC_BASE, Msr.FEATURE_CONTROL,
  Msr.MISC_ENABLE, Msr.STAR, Msr.LSTAR, Msr.CSTAR, Msr.FMASK, Msr.KERNEL_GS_BASE, Msr.TSC_AUX, Msr.MTRR_DEF_TYPE]);

const canonical = (v: bigint) => BigInt.asIntN(48, v) === BigInt.asIntN(64, v);

export function stored(c: Cpu, msr: number): bigint {
  return c.state.msr.get(msr) ?? RESET[msr] ?? 0n;
}

/** RDMSR value or #GP(0). */
export function readMsr(c: Cpu, msr: number): bigint {
  const st = c.state;
  switch (msr) {
    case Msr.TSC: return BigInt.asUintN(64, readTsc(st) + (c.vmx?.nonRoot ? c.vmx.tscOffset : 0n));
    case Msr.EFER: return BigInt(st.efer);
    case Msr.FS_BASE: return st.seg[Seg.FS].base;
    case Msr.GS_BASE: return st.seg[Seg.GS].base;
    case Msr.SYSENTER_CS: return st.sysenterCs;
    case Msr.SYSENTER_ESP: return st.sysenterEsp;
    case Msr.SYSENTER_EIP: return st.sysenterEip;
    case Msr.PAT: return st.pat;
    case Msr.BIOS_SIGN_ID: return 0n;
    case Msr.MTRRCAP: return 0n;
  }
  if (STORED.has(msr)) return stored(c, msr);
  if (msr >= 0x480 && msr <= 0x491 && c.vmx) {
    const v = c.vmx.readCapabilityMsr(msr);
    if (v !== undefined) return v;
  }
  throw new CpuFault(Vector.GP, 0);
}

/** WRMSR or #GP(0). */
export function writeMsr(c: Cpu, msr: number, v: bigint): void {
  const st = c.state;
  const gp = () => new CpuFault(Vector.GP, 0);
  switch (msr) {
    case Msr.TSC: writeTsc(st, v); return;
    case Msr.EFER: {
      // SCE, LME, LMA (read-only: ignored), NXE; LME may not change while paging is on (SDM 2.2.1, 9.8.5).
      if (v & ~0xd01n) throw gp();
      const n = Number(v);
      if ((st.cr0 & Cr0.PG) && ((n ^ st.efer) & Efer.LME)) throw gp();
      st.efer = (n & ~Efer.LMA) | (st.efer & Efer.LMA);
      c.flushTlb();
      return;
    }
    case Msr.FS_BASE: case Msr.GS_BASE:
      if (!canonical(v)) throw gp();
      st.seg[msr === Msr.FS_BASE ? Seg.FS : Seg.GS].base = BigInt.asUintN(64, v);
      return;
    case Msr.SYSENTER_CS: st.sysenterCs = BigInt.asUintN(64, v); return;
    case Msr.SYSENTER_ESP:
      if (!canonical(v)) throw gp();
      st.sysenterEsp = BigInt.asUintN(64, v);
      return;
    case Msr.SYSENTER_EIP:
      if (!canonical(v)) throw gp();
      st.sysenterEip = BigInt.asUintN(64, v);
      return;
    case Msr.LSTAR: case Msr.CSTAR: case Msr.KERNEL_GS_BASE:
      if (!canonical(v)) throw gp();
      break;
    case Msr.TSC_AUX: if (v >> 32n) throw gp(); break;
    case Msr.FEATURE_CONTROL:
      if ((stored(c, msr) & 1n) || (v & ~FEATURE_CONTROL_BITS)) throw gp();
      break;
    case Msr.PAT:
      for (let k = 0n; k < 64n; k += 8n) { const t = (v >> k) & 0xffn; if (t === 2n || t === 3n || t > 7n) throw gp(); }
      st.pat = BigInt.asUintN(64, v);
      return;
    case Msr.APIC_BASE:
      if (v & 0x6ffn || v >> 39n) throw gp();
      break;
    case Msr.MTRR_DEF_TYPE:
      if (v & ~0xcffn) throw gp();
      break;
    default:
      if (!STORED.has(msr)) throw gp();
  }
  st.msr.set(msr, BigInt.asUintN(64, v));
}
