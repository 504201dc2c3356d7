// VM entry (SDM ch. 27) after VMLAUNCH/VMRESUME's own checks: the control and host-state
// checks (27.2), guest-state checks and loading (27.3), MSR loading (27.4), the VMX-preemption
// timer start (26.5.1) and event injection (27.6).

import { Cr0, Efer } from '../cpu/state';
import { readTsc } from '../devices/tsc';
import { activeControls, type ActiveControls } from './activeControls';
import { PREEMPTION_TIMER_RATE } from './capabilities';
import { Activity, Interruptibility, IntrInfo, Pin } from './controls';
import { checkControls, checkGuestState, checkHostState } from './entryChecks';
import { vmentryFailure } from './exit';
import { ExitReason, Field, VmInstructionError } from './fields';
import { loadMsrList } from './msrList';
import { ChangeGroup, type Vmcs } from './vmcs';
import { VmcsStamp } from './vmcsStamp';
import type { Vmx } from './vmx';
import { GUEST_SPACE } from './vmxCpu';
import { CR0_ENTRY_PRESERVED, GuestStateImage } from './guestStateImage';

export type EntryResult = { entered: true } | { entered: false; error: VmInstructionError; message: string };

/**
 * The control checks (27.2.1) read only control fields, the host-state checks (27.2.2-27.2.4)
 * only host and control fields and IA32_EFER.LMA: both passed for this VMCS at these change
 * counts (Vmcs.changes) and are skipped while `checked` stands. The decoded controls
 * (activeControls) are kept with them. Of the guest-state checks (27.3.1), those of RIP,
 * RFLAGS and non-register state and the VMCS link pointer (which reads memory) run at every
 * entry; the rest read only control fields and guest fields that VM exits save unchanged
 * (control registers, segments, descriptor tables, MSRs), and are skipped while `guest`
 * stands since they last passed.
 */
export interface PassedEntryChecks { checked: VmcsStamp; ia32e: boolean; controls: ActiveControls; guest: VmcsStamp }

/** Enter the guest from the current VMCS. VMfailValid results are returned; guest-state failures exit (throw). */
export function vmentry(vmx: Vmx, launch: boolean): EntryResult {
  const vmcs = vmx.current!;
  const ia32e = vmx.cpu.state.longMode;
  let passed = vmx.passedEntryChecks;
  if (passed === undefined || !passed.checked.standsFor(vmcs) || passed.ia32e !== ia32e) {
    const controls = checkControls(vmcs);
    if (controls) return { entered: false, error: VmInstructionError.ENTRY_INVALID_CONTROLS, message: controls };
    const host = checkHostState(vmcs, ia32e);
    if (host) return { entered: false, error: VmInstructionError.ENTRY_INVALID_HOST_STATE, message: host };
    const checked = new VmcsStamp(ChangeGroup.Host);
    checked.take(vmcs);
    passed = { checked, ia32e, controls: activeControls(vmcs), guest: new VmcsStamp(ChangeGroup.Guest) };
    vmx.passedEntryChecks = passed;
  }
  const guest = checkGuestState(vmcs, vmx.cpu.phys, passed.guest.standsFor(vmcs));
  if (guest) vmentryFailure(vmx, ExitReason.INVALID_STATE, BigInt(guest.qualification), guest.message);
  passed.guest.take(vmcs);

  loadGuestState(vmx, vmcs);
  vmx.nonRoot = true;
  vmx.controls = passed.controls;
  const msrLoadCount = vmcs.get32(Field.VM_ENTRY_MSR_LOAD_COUNT);
  if (msrLoadCount !== 0) vmx.segmentBanks.touched(); // FS/GS bases may be among them
  const failedEntry = loadMsrList(vmx, vmcs.get(Field.VM_ENTRY_MSR_LOAD_ADDR), msrLoadCount);
  if (failedEntry !== 0) {
    vmx.nonRoot = false;
    vmentryFailure(vmx, ExitReason.MSR_LOAD_FAIL, BigInt(failedEntry), `VM-entry MSR-load entry ${failedEntry} cannot be loaded`);
  }
  if (launch) vmcs.launchState = 'launched';
  startPreemptionTimer(vmx, vmcs);
  vmx.cpu.switchAddressSpace(passed.controls.ept ? passed.controls.eptRoot : GUEST_SPACE);
  for (const l of vmx.entryListeners) l(launch);
  vmx.savedGuestState.entered(vmcs, vmx.cpu.state, passed.controls.exit, vmx.guestState!, msrLoadCount === 0, vmx.cpu.systemWrites);
  vmx.segmentBanks.settled(vmx.cpu.systemWrites);
  injectEvent(vmx, vmcs);
  return { entered: true };
}

/** 27.3.2: control registers, MSRs, segments, descriptor tables, RIP/RSP/RFLAGS, non-register state. */
function loadGuestState(vmx: Vmx, vmcs: Vmcs): void {
  const s = vmx.cpu.state;
  const g = GuestStateImage.of(vmcs, vmx.guestState);
  vmx.guestState = g;
  s.cr0 = (g.cr0 | (s.cr0 & CR0_ENTRY_PRESERVED)) >>> 0;
  s.cr3 = g.cr3;
  s.cr4 = g.cr4;
  if (g.dr7 !== undefined) {
    s.dr[7] = g.dr7;
    s.debugctl = g.debugctl!;
  }
  s.sysenterCs = g.sysenterCs;
  s.sysenterEsp = g.sysenterEsp;
  s.sysenterEip = g.sysenterEip;
  if (g.pat !== undefined) s.pat = g.pat;
  if (g.efer !== undefined) {
    s.efer = g.efer;
  } else {
    // 27.3.2.1: LMA follows "IA-32e mode guest"; LME too when paging is on.
    const bits = (s.cr0 & Cr0.PG) !== 0 ? Efer.LMA | Efer.LME : Efer.LMA;
    s.efer = g.ia32e ? s.efer | bits : s.efer & ~bits;
  }
  vmx.segmentBanks.load(s, g, vmx.cpu.systemWrites);
  s.gdtr.base = g.gdtrBase;
  s.gdtr.limit = g.gdtrLimit;
  s.idtr.base = g.idtrBase;
  s.idtr.limit = g.idtrLimit;
  s.setRipNum(vmcs.signed(Field.GUEST_RIP)); // canonical, or below 2^32 outside 64-bit mode (27.3.1.4)
  s.gpr[4] = vmcs.get(Field.GUEST_RSP);
  s.setRflags(vmcs.get32(Field.GUEST_RFLAGS));
  const intr = vmcs.get32(Field.GUEST_INTERRUPTIBILITY);
  // Blocking by STI or MOV SS covers the guest's first instruction boundary and ends when that
  // instruction completes (26.7.5: no interrupt window before it): 2, because retiring the
  // VMLAUNCH/VMRESUME that is entering counts one off (Cpu.step, blocks.ts retireChainEnd).
  s.interruptShadow = (intr & (Interruptibility.STI | Interruptibility.MOV_SS)) !== 0 ? 2 : 0;
  s.halted = vmcs.get32(Field.GUEST_ACTIVITY_STATE) === Activity.HLT;
}

/** 26.5.1: the timer counts down from its VMCS value by 1 each time TSC bit IA32_VMX_MISC[4:0] changes. */
function startPreemptionTimer(vmx: Vmx, vmcs: Vmcs): void {
  if ((vmcs.get32(Field.PIN_BASED_VM_EXEC_CONTROL) & Pin.PREEMPTION_TIMER) === 0) {
    vmx.preemptionTimerDeadline = undefined;
    return;
  }
  const s = vmx.cpu.state;
  const x = BigInt(PREEMPTION_TIMER_RATE);
  const now = readTsc(s);
  vmx.timerStartTsc = now;
  const fireTsc = ((now >> x) + vmcs.get(Field.VMX_PREEMPTION_TIMER_VALUE)) << x;
  vmx.preemptionTimerDeadline = Number(fireTsc - s.tsc);
}

/** 27.6: deliver the event in the VM-entry interruption-information field through the guest IDT. */
function injectEvent(vmx: Vmx, vmcs: Vmcs): void {
  const info = vmcs.get32(Field.VM_ENTRY_INTR_INFO);
  if ((info & IntrInfo.VALID) === 0) return;
  const type = (info >> IntrInfo.TYPE_SHIFT) & 7;
  const errorCode = (info & IntrInfo.ERROR_CODE) !== 0 ? vmcs.get32(Field.VM_ENTRY_EXCEPTION_ERROR_CODE) : undefined;
  vmx.cpu.state.halted = false;
  vmx.segmentBanks.touched(); // delivery loads CS and SS
  vmx.cpu.injectEvent(info & IntrInfo.VECTOR, type, errorCode, vmcs.get32(Field.VM_ENTRY_INSTRUCTION_LEN));
}
