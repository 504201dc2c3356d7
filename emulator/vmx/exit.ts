// VM exits (SDM ch. 28): record the exit information (28.2), save guest state (28.3) and
// MSRs (28.4), load host state (28.5) and MSRs (28.6), then leave non-root operation. Also the
// VM-entry failure path of 27.8, which loads host state without saving guest state.

import { VmExitTaken } from '../cpu/signals';
import { Efer, Flag, Reg, Seg, type CpuState } from '../cpu/state';
import { readTsc } from '../devices/tsc';
import { PREEMPTION_TIMER_RATE } from './capabilities';
import { Activity, EntryCtl, ExitCtl, Interruptibility, IntrInfo } from './controls';
import { EXIT_REASON_FAILED_VMENTRY, ExitReason, Field } from './fields';
import { loadMsrList, storeMsrList } from './msrList';
import { Vmcs } from './vmcs';
import type { Vmx } from './vmx';
import { ROOT_SPACE } from './vmxCpu';
import { CR0_EXIT_PRESERVED, HostStateImage } from './hostStateImage';
import { VmExitRecord } from './vmExitRecord';

/** Exit-information fields beyond reason and qualification (28.2.1-28.2.5); absent ones are written as 0. */
export interface ExitDetails {
  instructionLength?: number;
  instructionInfo?: number;
  guestLinear?: bigint;
  guestPhysical?: bigint;
  intrInfo?: number;
  intrErrorCode?: number;
}

const SEG_FIELDS = [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS, Seg.LDTR, Seg.TR];

/** Perform a VM exit and throw VmExitTaken; the instruction that caused it is over. */
export function vmexit(vmx: Vmx, reason: number, qualification: bigint, details: ExitDetails = {}): never {
  performVmExit(vmx, reason, qualification, details);
  throw new VmExitTaken(reason);
}

/**
 * The VM exit itself: afterwards the CPU is in the host at HOST_RIP. For the instructions whose
 * handlers return at once (VMCALL, CPUID, HLT, port I/O) instead of unwinding with vmexit's
 * throw, which cost about as much as the rest of a minimal exit + entry (docs/performance.md).
 */
export function performVmExit(vmx: Vmx, reason: number, qualification: bigint, details: ExitDetails): void {
  const vmcs = vmx.current!;
  const state = vmx.cpu.state;
  vmx.lastExit.latch(reason & 0xffff, qualification, details, state);
  writeExitInformation(vmcs, reason, qualification, details, reason === ExitReason.TRIPLE_FAULT ? undefined : vmx.eventDelivery);
  vmx.eventDelivery = undefined;
  saveGuestState(vmx, vmcs, reason);
  if (!storeMsrList(vmx, vmcs.get(Field.VM_EXIT_MSR_STORE_ADDR), vmcs.get32(Field.VM_EXIT_MSR_STORE_COUNT))) vmxAbort(vmx, 1);
  leaveNonRoot(vmx, vmcs);
  for (const l of vmx.exitTakenListeners) l();
  if (vmx.exitListeners.length > 0) {
    const info = vmx.lastExit.record();
    for (const l of vmx.exitListeners) l(info);
  }
}

/** VM-entry failure during or after loading guest state (27.8): exit reason with bit 31 set, host state loaded. */
export function vmentryFailure(vmx: Vmx, reason: number, qualification: bigint, message: string): never {
  const vmcs = vmx.current!;
  const full = (reason | EXIT_REASON_FAILED_VMENTRY) >>> 0;
  vmcs.set32(Field.VM_EXIT_REASON, full);
  vmcs.set(Field.EXIT_QUALIFICATION, qualification);
  const state = vmx.cpu.state;
  const info = new VmExitRecord(reason, true, qualification, NaN, vmcs.get(Field.GUEST_RIP), state.gprHalves, 0, undefined, undefined, 0, 0);
  leaveNonRoot(vmx, vmcs);
  for (const l of vmx.entryFailureListeners) l(full, message);
  for (const l of vmx.exitListeners) l(info);
  throw new VmExitTaken(full);
}

// The fields every VM exit writes, by slot (set32At writes a value below 2^32).
const EXIT_REASON = Vmcs.slotOf(Field.VM_EXIT_REASON), INSTRUCTION_LEN = Vmcs.slotOf(Field.VM_EXIT_INSTRUCTION_LEN);
const INSTRUCTION_INFO = Vmcs.slotOf(Field.VMX_INSTRUCTION_INFO), INTR_INFO = Vmcs.slotOf(Field.VM_EXIT_INTR_INFO);
const INTR_ERROR_CODE = Vmcs.slotOf(Field.VM_EXIT_INTR_ERROR_CODE), IDT_VECTORING_INFO = Vmcs.slotOf(Field.IDT_VECTORING_INFO);
const IDT_VECTORING_ERROR_CODE = Vmcs.slotOf(Field.IDT_VECTORING_ERROR_CODE), ENTRY_INTR_INFO = Vmcs.slotOf(Field.VM_ENTRY_INTR_INFO);
const RFLAGS = Vmcs.slotOf(Field.GUEST_RFLAGS), PENDING_DBG = Vmcs.slotOf(Field.GUEST_PENDING_DBG_EXCEPTIONS);
const INTERRUPTIBILITY = Vmcs.slotOf(Field.GUEST_INTERRUPTIBILITY), ACTIVITY = Vmcs.slotOf(Field.GUEST_ACTIVITY_STATE);
const QUALIFICATION = Vmcs.slotOf(Field.EXIT_QUALIFICATION), GUEST_LINEAR = Vmcs.slotOf(Field.GUEST_LINEAR_ADDRESS);
const GUEST_PHYSICAL = Vmcs.slotOf(Field.GUEST_PHYSICAL_ADDRESS);

function writeExitInformation(vmcs: Vmcs, reason: number, qualification: bigint, d: ExitDetails, event: Vmx['eventDelivery']): void {
  vmcs.set32At(EXIT_REASON, reason >>> 0);
  // Most exits write 0 to these: a bigint into the VMCS's halves costs a conversion each.
  if (qualification === 0n) vmcs.set32At(QUALIFICATION, 0); else vmcs.set(Field.EXIT_QUALIFICATION, qualification);
  if (d.guestLinear === undefined) vmcs.set32At(GUEST_LINEAR, 0); else vmcs.set(Field.GUEST_LINEAR_ADDRESS, d.guestLinear);
  if (d.guestPhysical === undefined) vmcs.set32At(GUEST_PHYSICAL, 0); else vmcs.set(Field.GUEST_PHYSICAL_ADDRESS, d.guestPhysical);
  vmcs.set32At(INSTRUCTION_LEN, d.instructionLength ?? 0);
  vmcs.set32At(INSTRUCTION_INFO, (d.instructionInfo ?? 0) >>> 0);
  vmcs.set32At(INTR_INFO, (d.intrInfo ?? 0) >>> 0);
  vmcs.set32At(INTR_ERROR_CODE, (d.intrErrorCode ?? 0) >>> 0);
  // 28.2.4: the event whose delivery through the IDT this exit interrupted.
  const hasCode = event !== undefined && event.errorCode !== undefined;
  vmcs.set32At(IDT_VECTORING_INFO, event === undefined ? 0
    : (IntrInfo.VALID | (event.type << IntrInfo.TYPE_SHIFT) | (hasCode ? IntrInfo.ERROR_CODE : 0) | event.vector) >>> 0);
  vmcs.set32At(IDT_VECTORING_ERROR_CODE, hasCode ? event.errorCode! >>> 0 : 0);
  // 28.2: every VM exit clears the valid bit of the VM-entry interruption-information field.
  vmcs.set32At(ENTRY_INTR_INFO, (vmcs.get32(Field.VM_ENTRY_INTR_INFO) & ~IntrInfo.VALID) >>> 0);
}

/** 28.3: guest-state area from the processor. */
function saveGuestState(vmx: Vmx, vmcs: Vmcs, reason: number): void {
  const s = vmx.cpu.state;
  const c = vmx.controls!;
  if (!vmx.savedGuestState.unchanged(vmcs, s, c.exit, vmx.cpu.systemWrites)) {
    saveGuestSystemState(s, vmcs, c.exit);
    vmx.savedGuestState.record(vmcs, s, c.exit);
  }
  const rip = s.ripNum;
  if (Number.isNaN(rip)) vmcs.set(Field.GUEST_RIP, s.rip); else vmcs.setSigned(Field.GUEST_RIP, rip);
  vmcs.setHalves(Field.GUEST_RSP, s.gprHalves[2 * Reg.RSP], s.gprHalves[2 * Reg.RSP + 1]);
  vmcs.set32At(RFLAGS, s.getRflags());
  vmcs.set32At(PENDING_DBG, 0);
  // Blocking by STI needs IF = 1 (27.3.1.5); with IF = 0 the only possible shadow is MOV SS.
  const shadow = s.interruptShadow > 0 ? ((s.getRflags() & Flag.IF) !== 0 ? Interruptibility.STI : Interruptibility.MOV_SS) : 0;
  const nmiBlocked = vmcs.get32(Field.GUEST_INTERRUPTIBILITY) & Interruptibility.NMI;
  vmcs.set32At(INTERRUPTIBILITY, shadow | nmiBlocked);
  vmcs.set32At(ACTIVITY, s.halted ? Activity.HLT : Activity.ACTIVE);
  if ((c.exit & ExitCtl.SAVE_PREEMPTION_TIMER) !== 0) {
    vmcs.set(Field.VMX_PREEMPTION_TIMER_VALUE, reason === 52 ? 0n : remainingTimer(vmx, vmcs));
  }
}

/** 28.3.1-28.3.2: control registers, debug controls, MSRs, segment registers and descriptor tables. */
function saveGuestSystemState(s: CpuState, vmcs: Vmcs, exitControls: number): void {
  vmcs.set32(Field.GUEST_CR0, s.cr0 >>> 0);
  vmcs.set(Field.GUEST_CR3, s.cr3);
  vmcs.set32(Field.GUEST_CR4, s.cr4 >>> 0);
  if ((exitControls & ExitCtl.SAVE_DEBUG_CONTROLS) !== 0) {
    vmcs.set(Field.GUEST_DR7, s.dr[7]);
    vmcs.set(Field.GUEST_IA32_DEBUGCTL, s.debugctl);
  }
  vmcs.set(Field.GUEST_SYSENTER_CS, s.sysenterCs);
  vmcs.set(Field.GUEST_SYSENTER_ESP, s.sysenterEsp);
  vmcs.set(Field.GUEST_SYSENTER_EIP, s.sysenterEip);
  if ((exitControls & ExitCtl.SAVE_PAT) !== 0) vmcs.set(Field.GUEST_IA32_PAT, s.pat);
  if ((exitControls & ExitCtl.SAVE_EFER) !== 0) vmcs.set32(Field.GUEST_IA32_EFER, s.efer);
  // IA32_VMX_MISC[5]: the "IA-32e mode guest" entry control follows EFER.LMA.
  const entry = vmcs.get32(Field.VM_ENTRY_CONTROLS);
  vmcs.set32(Field.VM_ENTRY_CONTROLS, (s.longMode ? entry | EntryCtl.IA32E_MODE_GUEST : entry & ~EntryCtl.IA32E_MODE_GUEST) >>> 0);
  for (let i = 0; i < SEG_FIELDS.length; i++) {
    const r = s.seg[SEG_FIELDS[i]];
    vmcs.set32(Field.GUEST_ES_SELECTOR + 2 * i, r.selector);
    vmcs.set(Field.GUEST_ES_BASE + 2 * i, r.base);
    vmcs.set32(Field.GUEST_ES_LIMIT + 2 * i, r.limit >>> 0);
    vmcs.set32(Field.GUEST_ES_AR + 2 * i, r.attrs & 0x1f0ff);
  }
  vmcs.set(Field.GUEST_GDTR_BASE, s.gdtr.base);
  vmcs.set32(Field.GUEST_GDTR_LIMIT, s.gdtr.limit);
  vmcs.set(Field.GUEST_IDTR_BASE, s.idtr.base);
  vmcs.set32(Field.GUEST_IDTR_LIMIT, s.idtr.limit);
}

function remainingTimer(vmx: Vmx, vmcs: Vmcs): bigint {
  const x = BigInt(PREEMPTION_TIMER_RATE);
  const elapsed = (readTsc(vmx.cpu.state) >> x) - (vmx.timerStartTsc >> x);
  const left = vmcs.get(Field.VMX_PREEMPTION_TIMER_VALUE) - elapsed;
  return left > 0n ? left : 0n;
}

/** 28.5 host state, 28.6 host MSRs; the processor is in VMX root operation afterwards. */
function leaveNonRoot(vmx: Vmx, vmcs: Vmcs): void {
  const s = vmx.cpu.state;
  const h = HostStateImage.of(vmcs, vmx.hostState);
  vmx.hostState = h;

  // 28.5.1 control registers, debug registers, MSRs
  s.cr0 = (h.cr0 | (s.cr0 & CR0_EXIT_PRESERVED)) >>> 0;
  s.cr3 = h.cr3;
  s.cr4 = h.cr4;
  s.dr[7] = 0x400n;
  s.debugctl = 0n;
  s.sysenterCs = h.sysenterCs;
  s.sysenterEsp = h.sysenterEsp;
  s.sysenterEip = h.sysenterEip;
  if (h.pat !== undefined) s.pat = h.pat;
  s.efer = h.efer ?? (h.hass ? s.efer | Efer.LMA | Efer.LME : s.efer & ~(Efer.LMA | Efer.LME));

  // 28.5.2 segment registers and descriptor tables
  vmx.segmentBanks.load(s, h, vmx.cpu.systemWrites);
  s.gdtr.base = h.gdtrBase;
  s.gdtr.limit = 0xffff;
  s.idtr.base = h.idtrBase;
  s.idtr.limit = 0xffff;

  // 28.5.3 RIP, RSP, RFLAGS; no blocking and the active state
  s.setRipNum(h.rip);
  s.gpr[4] = h.rsp;
  s.setRflags(Flag.FIXED1);
  s.interruptShadow = 0;
  s.halted = false;

  vmx.nonRoot = false;
  vmx.controls = undefined;
  vmx.preemptionTimerDeadline = undefined;
  vmx.cpu.switchAddressSpace(ROOT_SPACE);
  if (h.msrLoadCount !== 0) vmx.segmentBanks.touched(); // FS/GS bases may be among them
  if (loadMsrList(vmx, h.msrLoadAddress, h.msrLoadCount) !== 0) vmxAbort(vmx, 4);
  vmx.segmentBanks.settled(vmx.cpu.systemWrites);
}

/** VMX abort (28.7): abort indicator into the VMCS region at offset 4, then shutdown. */
function vmxAbort(vmx: Vmx, indicator: number): never {
  const vmcs = vmx.current!;
  vmx.cpu.phys.write32(Number(vmcs.address) + 4, indicator);
  vmx.nonRoot = false;
  vmx.cpu.state.shutdown = true;
  throw new VmExitTaken(0);
}
