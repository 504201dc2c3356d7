// Test scaffolding for emulator/vmx: a VmxCpu fake on the real CpuState and PhysicalMemory
// (identity-mapped linear memory), a 64-bit host in VMX root operation, and a VMCS that
// describes a valid 64-bit guest the way a KVM-style host programs it.

import { HALVES, join, split } from '../../emulator/cpu/halves';
import { VmExitTaken } from '../../emulator/cpu/signals';
import { CpuState, Seg } from '../../emulator/cpu/state';
import { PhysicalMemory } from '../../emulator/memory/physical';
import { Msr, VMCS_REVISION_ID } from '../../emulator/vmx/capabilities';
import { Field } from '../../emulator/vmx/fields';
import { Vmx } from '../../emulator/vmx/vmx';
import type { VmxCpu } from '../../emulator/vmx/vmxCpu';

export class FakeCpu implements VmxCpu {
  readonly state = new CpuState();
  readonly phys = new PhysicalMemory(0x400000);
  insnLength = 3;
  tlbFlushes = 0;
  readonly injected: Array<{ vector: number; type: number; errorCode: number | undefined; length: number }> = [];
  readonly msrWriteRefused = new Set<number>();

  readLinear64(linear: bigint): bigint { return this.phys.read64(Number(linear)); }
  writeLinear64(linear: bigint, value: bigint): void { this.phys.write64(Number(linear), value); }
  flushTlb(): void { this.tlbFlushes++; }
  /** Address spaces switched to at VM entry and exit, in order. */
  readonly spaces: number[] = [];
  switchAddressSpace(space: number): void { this.spaces.push(space); }
  /** Tests write the state directly: every read is a new count, so VM exits always compare what they save. */
  get systemWrites(): number { return ++this.writes; }
  private writes = 0;
  markPagingStructure(): void { /* this fake keeps no TLB */ }
  injectEvent(vector: number, type: number, errorCode: number | undefined, length: number): void {
    this.injected.push({ vector, type, errorCode, length });
  }
  // As emulator/cpu/msr.ts keeps them: SYSENTER_* and PAT in CpuState fields, the rest in its Map.
  readMsr(index: number): bigint | undefined {
    const s = this.state;
    switch (index) {
      case 0x174: return s.sysenterCs;
      case 0x175: return s.sysenterEsp;
      case 0x176: return s.sysenterEip;
      case 0x277: return s.pat;
    }
    return s.msr.get(index) ?? 0n;
  }
  writeMsr(index: number, value: bigint): boolean {
    if (this.msrWriteRefused.has(index)) return false;
    const s = this.state;
    switch (index) {
      case 0x174: s.sysenterCs = value; break;
      case 0x175: s.sysenterEsp = value; break;
      case 0x176: s.sysenterEip = value; break;
      case 0x277: s.pat = value; break;
      default: s.msr.set(index, value);
    }
    return true;
  }
}

// Physical layout of the test machine.
export const VMXON_REGION = 0x100000n;
export const VMCS_REGION = 0x101000n;
export const OTHER_VMCS = 0x102000n;
export const IO_BITMAP_A = 0x103000;
export const IO_BITMAP_B = 0x104000;
export const MSR_BITMAP = 0x105000;
export const EPT_PML4 = 0x110000;
/** Scratch memory for instruction operands (VMXON/VMPTRLD pointers, INVEPT descriptors). */
export const OPERAND = 0x8000n;

export const HOST_RIP = 0x200000n;
export const HOST_RSP = 0x7f000n;
export const GUEST_RIP = 0x100000n;
export const GUEST_RSP = 0x80000n;

export const CR0_PG_PROTECTED = 0x80010033; // PE MP ET NE WP PG
export const CR4_PAE_VMXE = 0x2020;
export const EFER_LONG = 0xd01; // SCE LME LMA NXE

/** A CPU at CPL 0 in 64-bit mode with CR4.VMXE and IA32_FEATURE_CONTROL locked with VMX outside SMX. */
export function hostCpu(): FakeCpu {
  const cpu = new FakeCpu();
  const s = cpu.state;
  s.cr0 = CR0_PG_PROTECTED;
  s.cr3 = 0x10000n;
  s.cr4 = CR4_PAE_VMXE;
  s.efer = EFER_LONG;
  s.seg[Seg.CS] = { selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b };
  for (const seg of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) s.seg[seg] = { selector: 0x10, base: 0n, limit: 0xffffffff, attrs: 0xc093 };
  s.msr.set(Msr.IA32_FEATURE_CONTROL, 5n);
  cpu.phys.write32(Number(VMXON_REGION), VMCS_REVISION_ID);
  cpu.phys.write32(Number(VMCS_REGION), VMCS_REVISION_ID);
  cpu.phys.write32(Number(OTHER_VMCS), VMCS_REVISION_ID);
  return cpu;
}

export function flags(cpu: FakeCpu): { cf: boolean; zf: boolean } {
  const f = cpu.state.getRflags();
  return { cf: (f & 1) !== 0, zf: (f & 0x40) !== 0 };
}

/** Assert-free helpers that run one VMX instruction with a memory operand at OPERAND. */
export function vmxon(vmx: Vmx, cpu: FakeCpu, region = VMXON_REGION): void {
  cpu.phys.write64(Number(OPERAND), region);
  vmx.vmxon(OPERAND, 0, 0n);
}
export function vmclear(vmx: Vmx, cpu: FakeCpu, region: bigint): void {
  cpu.phys.write64(Number(OPERAND), region);
  vmx.vmclear(OPERAND, 0, 0n);
}
export function vmptrld(vmx: Vmx, cpu: FakeCpu, region: bigint): void {
  cpu.phys.write64(Number(OPERAND), region);
  vmx.vmptrld(OPERAND, 0, 0n);
}

/** VMREAD as the instruction does it, with the encoding as a 64-bit register holds it: the value, or undefined after VMfail. */
export function vmreadInsn(vmx: Vmx, encoding: bigint): bigint | undefined {
  split(encoding);
  return vmx.vmread(HALVES[0], HALVES[1], 0, 0n) ? join(HALVES[0], HALVES[1]) : undefined;
}
/** VMWRITE as the instruction does it, from 64-bit register values. */
export function vmwriteInsn(vmx: Vmx, encoding: bigint, value: bigint): void {
  split(encoding);
  const encLo = HALVES[0], encHi = HALVES[1];
  split(value);
  vmx.vmwrite(encLo, encHi, HALVES[0], HALVES[1], 0, 0n);
}

/** VMWRITE that must succeed. */
export function write(vmx: Vmx, cpu: FakeCpu, field: number, value: bigint | number): void {
  vmwriteInsn(vmx, BigInt(field), BigInt(value));
  const f = flags(cpu);
  if (f.cf || f.zf) throw new Error(`VMWRITE 0x${field.toString(16)} failed`);
}

export function read(vmx: Vmx, field: number): bigint {
  const v = vmx.vmcsRead(field);
  if (v === undefined) throw new Error(`no field 0x${field.toString(16)}`);
  return v;
}

/** The valid VMCS every test starts from: 64-bit host and guest, EFER switched, no optional exiting. */
export function programVmcs(vmx: Vmx, cpu: FakeCpu): void {
  const w = (f: number, v: bigint | number): void => write(vmx, cpu, f, v);
  w(Field.PIN_BASED_VM_EXEC_CONTROL, 0x16);
  w(Field.CPU_BASED_VM_EXEC_CONTROL, 0x04006172);
  w(Field.VM_EXIT_CONTROLS, 0x00036dfb | (1 << 9) | (1 << 20) | (1 << 21));
  w(Field.VM_ENTRY_CONTROLS, 0x000011fb | (1 << 9) | (1 << 15));
  w(Field.VMCS_LINK_POINTER, 0xffffffffffffffffn);
  // host state
  w(Field.HOST_CR0, CR0_PG_PROTECTED);
  w(Field.HOST_CR3, 0x10000);
  w(Field.HOST_CR4, CR4_PAE_VMXE);
  w(Field.HOST_IA32_EFER, EFER_LONG);
  w(Field.HOST_CS_SELECTOR, 0x08);
  for (const f of [Field.HOST_SS_SELECTOR, Field.HOST_DS_SELECTOR, Field.HOST_ES_SELECTOR, Field.HOST_FS_SELECTOR, Field.HOST_GS_SELECTOR]) w(f, 0x10);
  w(Field.HOST_TR_SELECTOR, 0x18);
  w(Field.HOST_TR_BASE, 0x3000);
  w(Field.HOST_GDTR_BASE, 0x2000);
  w(Field.HOST_IDTR_BASE, 0x4000);
  w(Field.HOST_FS_BASE, 0x5000);
  w(Field.HOST_RSP, HOST_RSP);
  w(Field.HOST_RIP, HOST_RIP);
  // guest state
  w(Field.GUEST_CR0, CR0_PG_PROTECTED);
  w(Field.GUEST_CR3, 0x2000);
  w(Field.GUEST_CR4, CR4_PAE_VMXE);
  w(Field.GUEST_DR7, 0x400);
  w(Field.GUEST_IA32_EFER, 0x501);
  w(Field.GUEST_CS_SELECTOR, 0x08);
  w(Field.GUEST_CS_LIMIT, 0xffffffff);
  w(Field.GUEST_CS_AR, 0xa09b);
  for (const i of [0, 2, 3, 4, 5]) { // ES SS DS FS GS
    w(Field.GUEST_ES_SELECTOR + 2 * i, 0x10);
    w(Field.GUEST_ES_LIMIT + 2 * i, 0xffffffff);
    w(Field.GUEST_ES_AR + 2 * i, 0xc093);
  }
  w(Field.GUEST_LDTR_AR, 0x10000);
  w(Field.GUEST_TR_SELECTOR, 0x30);
  w(Field.GUEST_TR_LIMIT, 0x67);
  w(Field.GUEST_TR_AR, 0x8b);
  w(Field.GUEST_GDTR_BASE, 0x1000);
  w(Field.GUEST_GDTR_LIMIT, 0x3f);
  w(Field.GUEST_RSP, GUEST_RSP);
  w(Field.GUEST_RIP, GUEST_RIP);
  w(Field.GUEST_RFLAGS, 2);
}

/** VMXON, VMCLEAR, VMPTRLD and a valid VMCS: ready for VMLAUNCH. */
export function readyToLaunch(): { vmx: Vmx; cpu: FakeCpu } {
  const cpu = hostCpu();
  const vmx = new Vmx(cpu);
  vmxon(vmx, cpu);
  vmclear(vmx, cpu, VMCS_REGION);
  vmptrld(vmx, cpu, VMCS_REGION);
  programVmcs(vmx, cpu);
  return { vmx, cpu };
}

/** Launch (asserting success) after optional VMCS tweaks. */
export function launched(tweak?: (w: (field: number, value: bigint | number) => void) => void): { vmx: Vmx; cpu: FakeCpu } {
  const { vmx, cpu } = readyToLaunch();
  tweak?.((f, v) => write(vmx, cpu, f, v));
  if (!vmx.vmlaunch()) throw new Error(`VMLAUNCH failed: error ${read(vmx, Field.VM_INSTRUCTION_ERROR)}`);
  return { vmx, cpu };
}

/** Run `action`, which must end in a VM exit; returns the basic exit reason it threw. */
export function expectExit(action: () => unknown): number {
  try {
    action();
  } catch (e) {
    if (e instanceof VmExitTaken) return e.reason;
    throw e;
  }
  throw new Error('expected a VM exit');
}

/** VMCALL in non-root, which exits by returning true (no throw); returns the basic exit reason the VMCS then holds. */
export function vmcallExit(vmx: Vmx): number {
  if (!vmx.vmcall()) throw new Error('expected VMCALL to cause a VM exit');
  return Number(read(vmx, Field.VM_EXIT_REASON)) & 0xffff;
}
