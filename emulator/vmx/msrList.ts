// The VM-entry MSR-load (27.4), VM-exit MSR-store (28.4) and VM-exit MSR-load (28.6) areas:
// arrays of 16-byte entries in physical memory, bits 31:0 MSR index, 63:32 reserved, 127:64 data.

import type { Vmx } from './vmx';

const IA32_FS_BASE = 0xc0000100, IA32_GS_BASE = 0xc0000101, IA32_SMBASE = 0x9e, IA32_SMM_MONITOR_CTL = 0x9b;
const IA32_UCODE_UPDATE = 0x79;

function isX2Apic(index: number): boolean { return index >>> 8 === 0x8; }

/** Load `count` MSRs: 0 if all loaded, else the 1-based number of the entry that failed (the 27.8 exit qualification). */
export function loadMsrList(vmx: Vmx, address: bigint, count: number): number {
  const phys = vmx.cpu.phys;
  for (let i = 0; i < count; i++) {
    const a = Number(address) + 16 * i;
    const index = phys.read32(a);
    const bad = phys.read32(a + 4) !== 0 || isX2Apic(index) || index === IA32_FS_BASE || index === IA32_GS_BASE ||
      index === IA32_SMBASE || index === IA32_SMM_MONITOR_CTL || index === IA32_UCODE_UPDATE ||
      !vmx.cpu.writeMsr(index, phys.read64(a + 8));
    if (bad) return i + 1;
  }
  return 0;
}

/** Store `count` MSRs into their entries' data; false (VMX abort) if an entry is invalid. */
export function storeMsrList(vmx: Vmx, address: bigint, count: number): boolean {
  const phys = vmx.cpu.phys;
  for (let i = 0; i < count; i++) {
    const a = Number(address) + 16 * i;
    const index = phys.read32(a);
    if (phys.read32(a + 4) !== 0 || isX2Apic(index) || index === IA32_SMBASE) return false;
    const value = vmx.cpu.readMsr(index);
    if (value === undefined) return false;
    phys.write64(a + 8, value);
  }
  return true;
}
