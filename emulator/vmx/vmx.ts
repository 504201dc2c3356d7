// Intel VMX for one logical processor (SDM vol. 3C ch. 24-31): the VmxUnit the interpreter
// calls, plus what the machine and the debugger inspect (current VMCS, fields, exit/entry
// listeners, snapshot). The behaviour lives in the sibling files, one SDM concern each:
// instructions.ts (ch. 31), entryChecks.ts / entry.ts (ch. 27), exits.ts / exit.ts (ch. 26, 28), ept.ts (ch. 29).
// What the capability MSRs (capabilities.ts) leave out is not implemented: IA-32e guests and
// hosts only; no unrestricted guest, virtual NMIs, NMI-window exiting, monitor trap flag, TPR
// shadow or APIC virtualization, VMCS shadowing, PML, VM functions or dual-monitor SMM. Error 26
// (entry with blocking by MOV SS) is never reported: CpuState does not tell MOV SS from STI.

import type { VmExitInfo } from '../api';
import { VmExitTaken } from '../cpu/signals';
import type { InterceptedInstruction, VmxUnit } from '../cpu/vmxUnit';
import { capabilityMsr } from './capabilities';
import { activeControls, type ActiveControls } from './activeControls';
import { eptTranslate, eptWalk } from './ept';
import * as insn from './instructions';
import * as exits from './exits';
import type { PassedEntryChecks } from './entry';
import { Field } from './fields';
import type { GuestStateImage } from './guestStateImage';
import type { HostStateImage } from './hostStateImage';
import { SavedGuestState } from './savedGuestState';
import { SegmentBanks } from './segmentBanks';
import { Vmcs, type LaunchState } from './vmcs';
import { LastVmExit } from './vmExitRecord';
import type { VmxCpu } from './vmxCpu';

/** Everything VMX keeps beyond CpuState and memory, for snapshot/restore. */
export interface VmxSnapshot {
  inVmxOperation: boolean;
  nonRoot: boolean;
  vmxonPointer: bigint;
  currentVmcs: bigint | undefined;
  regions: Array<{ address: bigint; launchState: LaunchState; values: bigint[] }>;
  timerStartTsc: bigint;
  timerDeadline: number | undefined;
}

export const INVALID_VMCS_POINTER = 0xffffffffffffffffn;

export class Vmx implements VmxUnit {
  inVmxOperation = false;
  nonRoot = false;
  vmxonPointer = INVALID_VMCS_POINTER;
  /** The current VMCS (31.1: the current-VMCS pointer), undefined when FFFFFFFF_FFFFFFFFH. */
  current: Vmcs | undefined;
  /** Every VMCS region VMCLEAR or VMPTRLD has touched, by physical address. */
  readonly regions = new Map<bigint, Vmcs>();
  /** The current VMCS's controls, fixed for the duration of non-root operation (loaded at VM entry). */
  controls: ActiveControls | undefined;
  /** The VM-entry checks that passed last and what they depend on (entry.ts). */
  passedEntryChecks: PassedEntryChecks | undefined;
  /** What the last VM exit loaded from the host-state area, the last VM entry from the guest-state area (decoded again only after a change). */
  hostState: HostStateImage | undefined;
  guestState: GuestStateImage | undefined;
  /** The guest's system registers as the last VM exit saved them (exit.ts skips an unchanged save). */
  readonly savedGuestState = new SavedGuestState();
  /** The segment registers of the side the last transition left (swapped back in, not copied). */
  readonly segmentBanks = new SegmentBanks();
  /** Set by the interpreter during IDT event delivery; reported as IDT-vectoring information by a VM exit. */
  eventDelivery: { vector: number; type: number; errorCode: number | undefined } | undefined;
  /** VMX-preemption timer: TSC at VM entry and the icount at which it reaches zero. */
  timerStartTsc = 0n;
  preemptionTimerDeadline: number | undefined;

  /** The last VM exit's information, latched by each exit. */
  readonly lastExit = new LastVmExit();
  readonly exitTakenListeners: Array<() => void> = [];
  readonly exitListeners: Array<(exit: VmExitInfo) => void> = [];
  readonly entryListeners: Array<(launch: boolean) => void> = [];
  readonly entryFailureListeners: Array<(error: number, message: string) => void> = [];

  constructor(readonly cpu: VmxCpu) {}

  // --- VmxUnit: instructions (ch. 31) ---
  vmxon(operand: bigint, info: number, qualification: bigint): void { insn.vmxon(this, operand, info, qualification); }
  vmxoff(): void { insn.vmxoff(this); }
  vmclear(operand: bigint, info: number, qualification: bigint): void { insn.vmclear(this, operand, info, qualification); }
  vmptrld(operand: bigint, info: number, qualification: bigint): void { insn.vmptrld(this, operand, info, qualification); }
  vmptrst(operand: bigint, info: number, qualification: bigint): void { insn.vmptrst(this, operand, info, qualification); }
  vmread(fieldLo: number, fieldHi: number, info: number, qualification: bigint): boolean { return insn.vmread(this, fieldLo, fieldHi, info, qualification); }
  vmwrite(fieldLo: number, fieldHi: number, lo: number, hi: number, info: number, qualification: bigint): void {
    insn.vmwrite(this, fieldLo, fieldHi, lo, hi, info, qualification);
  }
  vmreadSucceeds(fieldLo: number, fieldHi: number): boolean { return insn.vmreadSucceeds(this, fieldLo, fieldHi); }
  vmwriteSucceeds(fieldLo: number, fieldHi: number, lo: number, hi: number): boolean { return insn.vmwriteSucceeds(this, fieldLo, fieldHi, lo, hi); }
  vmlaunch(): boolean { return insn.vmlaunchOrResume(this, true); }
  vmresume(): boolean { return insn.vmlaunchOrResume(this, false); }
  invept(type: bigint, descriptor: bigint, info: number, qualification: bigint): void { insn.invept(this, type, descriptor, info, qualification); }
  invvpid(type: bigint, descriptor: bigint, info: number, qualification: bigint): void { insn.invvpid(this, type, descriptor, info, qualification); }
  /** VMCALL in any mode: #UD outside VMX operation, VMfail(1) in root operation, VM exit in non-root. */
  vmcall(): boolean { return insn.vmcall(this); }

  // --- VmxUnit: non-root operation (ch. 26) ---
  intercept(instr: InterceptedInstruction): void {
    if (exits.interceptInstruction(this, instr)) throw new VmExitTaken(this.current!.get32(Field.VM_EXIT_REASON));
  }
  interceptReturning(instr: InterceptedInstruction): boolean { return exits.interceptInstruction(this, instr); }
  movToCr(cr: number, gpr: number, value: bigint): bigint { return exits.movToCr(this, cr, gpr, value); }
  movFromCr(cr: number, gpr: number, actual: bigint): bigint { return exits.movFromCr(this, cr, gpr, actual); }
  interceptException(vector: number, errorCode: number | undefined, software: boolean, pfAddress?: bigint): void {
    exits.interceptException(this, vector, errorCode, software, pfAddress);
  }
  tripleFault(): never { return exits.tripleFault(this); }
  translateGuestPhysical(gpa: bigint, access: 'read' | 'write' | 'execute', linear: bigint | undefined, pagingStructure: boolean): number {
    return eptTranslate(this, gpa, access, linear, pagingStructure);
  }
  beforeInstruction(): void { if (this.nonRoot) exits.beforeInstruction(this); }
  readCapabilityMsr(msr: number): bigint | undefined { return capabilityMsr(msr); }

  /** Added to the TSC that RDTSC/RDTSCP/RDMSR read in non-root operation ("use TSC offsetting", 26.3). */
  get tscOffset(): bigint { return this.nonRoot ? this.controls!.tscOffset : 0n; }

  // --- inspection for the machine and the debugger ---
  get currentVmcs(): bigint | undefined { return this.current?.address; }
  /** Raw read of a field of the current VMCS by encoding (high-access encodings allowed). */
  vmcsRead(encoding: number): bigint | undefined { return this.current?.read(BigInt(encoding)); }
  /** Raw write (read-only exit-information fields included); false if no current VMCS or no such field. */
  vmcsWrite(encoding: number, value: bigint): boolean {
    return this.current?.write(BigInt(encoding), value, true) === 'ok';
  }
  /**
   * Debugger translation of a guest-physical address through the current VMCS's EPT (identity
   * when EPT is off): no VM exit, no accessed/dirty flags; undefined if not present or misconfigured.
   */
  eptTranslate(gpa: bigint): bigint | undefined {
    const vmcs = this.current;
    if (!vmcs) return undefined;
    const c = activeControls(vmcs);
    if (!c.ept) return gpa;
    const walk = eptWalk(this.cpu.phys, c.eptRoot, gpa);
    return walk.kind === 'mapped' ? BigInt(walk.hpa) : undefined;
  }
  /** A VM exit or a VM-entry failure exit (27.8) happened; each gets its own record. */
  onExit(listener: (exit: VmExitInfo) => void): void { this.exitListeners.push(listener); }
  /** A VM exit happened (not an entry failure): `lastExit` has its information. Makes no record. */
  onExitTaken(listener: () => void): void { this.exitTakenListeners.push(listener); }
  /** A VM entry succeeded (VMLAUNCH if `launch`): RIP is the guest's, before any injected event is delivered. */
  onEntry(listener: (launch: boolean) => void): void { this.entryListeners.push(listener); }
  /**
   * VMLAUNCH/VMRESUME failed: `error` is the VM-instruction error number of a VMfailValid (4, 5, 7, 8;
   * 7 and 8 name the failing check), 0 for VMfailInvalid, or the full exit reason (bit 31 set) of a
   * VM-entry failure exit (33 invalid guest state, 34 MSR loading), which also reaches onExit.
   */
  onEntryFailure(listener: (error: number, message: string) => void): void { this.entryFailureListeners.push(listener); }

  serialize(): VmxSnapshot {
    return {
      inVmxOperation: this.inVmxOperation, nonRoot: this.nonRoot, vmxonPointer: this.vmxonPointer,
      currentVmcs: this.current?.address,
      regions: [...this.regions.values()].map(r => ({ address: r.address, launchState: r.launchState, values: r.values() })),
      timerStartTsc: this.timerStartTsc, timerDeadline: this.preemptionTimerDeadline,
    };
  }

  restore(s: VmxSnapshot): void {
    this.inVmxOperation = s.inVmxOperation;
    this.nonRoot = s.nonRoot;
    this.vmxonPointer = s.vmxonPointer;
    this.regions.clear();
    for (const r of s.regions) {
      const vmcs = new Vmcs(r.address);
      vmcs.launchState = r.launchState;
      vmcs.restoreValues(r.values);
      this.regions.set(r.address, vmcs);
    }
    this.current = s.currentVmcs === undefined ? undefined : this.regions.get(s.currentVmcs);
    this.controls = this.nonRoot && this.current ? activeControls(this.current) : undefined;
    this.timerStartTsc = s.timerStartTsc;
    this.preemptionTimerDeadline = s.timerDeadline;
  }
}
