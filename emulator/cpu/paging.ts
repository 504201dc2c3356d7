// 4-level IA-32e paging (Intel SDM vol. 3A 4.5): the page walk with permission checks
// (4.6), accessed/dirty flags (4.8) and page-fault error codes (4.7). Linear addresses are
// JS numbers holding the canonical value as a signed integer in [-2^47, 2^47). Physical
// addresses are numbers. Paging-structure reads go through `PagingBus`, which in VMX
// non-root operation applies EPT.

import { Cr0, Cr4, Efer, type CpuState } from './state';
import { CpuFault } from './signals';

export const enum Access { Read = 0, Write = 1, Execute = 2 }

/** #PF error-code bits (SDM 4.7). */
export const enum PfErr { P = 1, W = 2, U = 4, RSVD = 8, ID = 16 }

/** MAXPHYADDR reported by CPUID 0x80000008 and enforced on paging entries and CR3. */
export const MAX_PHYS_BITS = 39;

/** Entries of the CPU's TLB per access kind (direct-mapped by linear page, XOR a salt per epoch: Cpu.tlbSalt). */
export const TLB_BITS = 10, TLB_SIZE = 1 << TLB_BITS;
const PHYS_HI_MASK = (1 << (MAX_PHYS_BITS - 32)) - 1; // address bits 38:32 of an entry
const TWO32 = 4294967296;

/** Physical access used by the walk: guest-physical to host-physical plus 32-bit reads/writes. */
export interface PagingBus {
  /** Host-physical address of a guest-physical one (identity outside VMX non-root); may VM-exit. */
  toHost(gpa: number, access: Access, linear: number, pagingStructure: boolean): number;
  read32(hpa: number): number;
  write32(hpa: number, value: number): void;
}

const idxs = new Int32Array(4);
const entryAddrs = new Float64Array(4);
const entryLos = new Int32Array(4);

/** Result of a successful walk (reused object). */
export class WalkResult {
  /** Physical address (guest-physical in VMX non-root) of the accessed byte. */
  phys = 0;
  /** Effective permissions of the whole translation: writable, user, executable. */
  writable = false;
  user = false;
  executable = true;
  dirty = false;
}

/**
 * Translate `linear` for an access. `user`: a CPL-3 access that is not an implicit supervisor
 * access. `smap`: supervisor data accesses to user pages fault (CR4.SMAP and either an
 * implicit access or RFLAGS.AC = 0, SDM 4.6.1). With `sideEffects` false no A/D flags are written and failure returns false instead
 * of throwing #PF.
 */
export function walk(st: CpuState, bus: PagingBus, linear: number, access: Access, user: boolean, smap: boolean, sideEffects: boolean, out: WalkResult, cr3 = Number(st.cr3 & 0xffffffffff000n)): boolean {
  const nxe = (st.efer & Efer.NXE) !== 0;
  let table = cr3;
  let writable = true, usr = true, exec = true;
  // The linear address split into 9-bit indexes (bits 47:39, 38:30, 29:21, 20:12).
  const pageNum = Math.floor(linear / 4096); // may be negative for the upper half
  const idx4 = ((pageNum / 134217728) & 511) >>> 0;
  const lo27 = ((pageNum % 134217728) + 134217728) % 134217728;
  const idx3 = (lo27 >>> 18) & 511, idx2 = (lo27 >>> 9) & 511, idx1 = lo27 & 511;
  idxs[0] = idx4; idxs[1] = idx3; idxs[2] = idx2; idxs[3] = idx1;
  let level = 0;
  let pageSize = 4096;
  let lo = 0, hi = 0;
  const errBase = (access === Access.Write ? PfErr.W : 0) | (user ? PfErr.U : 0)
    | (access === Access.Execute && (nxe || (st.cr4 & Cr4.SMEP)) ? PfErr.ID : 0);
  for (; level < 4; level++) {
    const gpa = table + idxs[level] * 8;
    const hpa = bus.toHost(gpa, Access.Read, linear, true);
    entryAddrs[level] = hpa;
    lo = bus.read32(hpa);
    hi = bus.read32(hpa + 4);
    entryLos[level] = lo;
    if (!(lo & 1)) return fault(sideEffects, errBase, linear);
    // Reserved bits (SDM 4.5, Table 4-14..4-20): above MAXPHYADDR, XD without NXE, PS where not allowed.
    let rsvd = (hi & 0x000fffff & ~PHYS_HI_MASK) !== 0 || (!nxe && (hi & 0x80000000) !== 0);
    const ps = (lo & 0x80) !== 0;
    if (level === 0 && ps) rsvd = true;
    if (ps && level === 1 && (lo & 0x3fffe000)) rsvd = true;
    if (ps && level === 2 && (lo & 0x001fe000)) rsvd = true;
    if (rsvd) return fault(sideEffects, errBase | PfErr.P | PfErr.RSVD, linear);
    if (!(lo & 2)) writable = false;
    if (!(lo & 4)) usr = false;
    if (nxe && (hi & 0x80000000)) exec = false;
    if (ps && level >= 1 && level <= 2) { pageSize = level === 1 ? 1 << 30 : 1 << 21; break; }
    table = (hi & PHYS_HI_MASK) * TWO32 + ((lo & 0xfffff000) >>> 0);
  }
  if (level === 4) level = 3;
  // Permission checks (SDM 4.6).
  const cr0wp = (st.cr0 & Cr0.WP) !== 0;
  let ok = true;
  if (user) {
    if (!usr) ok = false;
    else if (access === Access.Write && !writable) ok = false;
    else if (access === Access.Execute && !exec) ok = false;
  } else {
    if (access === Access.Write && !writable && cr0wp) ok = false;
    else if (access === Access.Execute && (!exec || (usr && (st.cr4 & Cr4.SMEP)))) ok = false;
    else if (access !== Access.Execute && usr && smap) ok = false;
  }
  if (!ok) return fault(sideEffects, errBase | PfErr.P, linear);
  // Frame base of the final entry plus the offset within the page.
  const frameMask = pageSize === 4096 ? 0xfffff000 : pageSize === 1 << 21 ? 0xffe00000 : 0xc0000000;
  const offset = ((linear % pageSize) + pageSize) % pageSize;
  out.phys = (hi & PHYS_HI_MASK) * TWO32 + ((lo & frameMask) >>> 0) + offset;
  out.writable = writable || (!user && !cr0wp);
  out.user = usr;
  out.executable = exec;
  out.dirty = (lo & 0x40) !== 0 || access === Access.Write;
  if (sideEffects) {
    // Accessed flags on every level, dirty on the leaf for writes (SDM 4.8).
    for (let l = 0; l <= level; l++) {
      const leaf = l === level;
      const want = entryLos[l] | 0x20 | (leaf && access === Access.Write ? 0x40 : 0);
      if (want !== entryLos[l]) {
        bus.write32(entryAddrs[l], want >>> 0);
      }
    }
  }
  return true;
}

function fault(sideEffects: boolean, code: number, linear: number): boolean {
  if (!sideEffects) return false;
  throw new CpuFault(14, code, BigInt.asUintN(64, BigInt(linear)));
}
