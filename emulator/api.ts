// The emulator's public surface for the debug adapter, the CLI and tests.
// Knows nothing of DAP or VS Code. Implemented by machine.ts (class Machine).

import type { CpuState } from './cpu/state';
import type { TraceRecord } from './trace/record';

/** Which translation an address goes through. */
export type AddressSpace =
  | 'physical'        // host-physical
  | 'host-linear'     // through the host's paging (the CR3 of VMX root mode)
  | 'guest-linear'    // through the guest's paging (guest CR3) and then EPT
  | 'guest-physical'; // through EPT only

/** Why run()/step() returned. */
export type StopReason =
  | { kind: 'budget' }                                              // instruction budget used up
  | { kind: 'step' }                                                // step() retired one instruction (or delivered one event)
  | { kind: 'breakpoint'; address: bigint; space: 'linear' | 'physical' } // about to execute a breakpointed instruction
  | { kind: 'watchpoint'; address: bigint; access: 'read' | 'write'; space: 'linear' | 'physical' }
  | { kind: 'vmexit'; exit: VmExitInfo }                            // an onVmExit hook asked to stop (host is at its entry RIP)
  | { kind: 'vmentry'; entry: VmEntryInfo }                         // an onVmEntry hook asked to stop (guest is at its first RIP)
  | { kind: 'vmentry-failure'; error: number; message: string }   // VMLAUNCH/VMRESUME failed (VMfailValid error number or entry-failure exit reason)
  | { kind: 'poweroff'; status: number }                            // host wrote the platform exit port
  | { kind: 'halted' }                                              // HLT with nothing that can wake the CPU
  | { kind: 'shutdown'; message: string }                           // triple fault outside VMX non-root: the machine is dead
  | { kind: 'pause' };                                              // requestPause() was honoured

export interface VmExitInfo {
  reason: number;          // basic exit reason (bits 15:0), SDM Appendix C
  reasonName: string;      // SDM name, e.g. 'VMCALL', 'EPT_VIOLATION'
  entryFailure: boolean;   // bit 31 of the exit reason
  qualification: bigint;
  guestRip: bigint;        // RIP of the guest instruction that caused the exit
  instructionLength: number;
  guestLinearAddress?: bigint;
  guestPhysicalAddress?: bigint;
  intrInfo: number;
  intrErrorCode: number;
  /** All 16 guest GPRs as they were at the moment of the exit (an emulator privilege: real VMX saves none). */
  guestGprs: BigUint64Array;
}

export interface VmEntryInfo { launch: boolean; guestRip: bigint }

/** Opaque full-machine copy for snapshot/restore (reverse debugging). */
export interface MachineSnapshot { readonly icount: number; readonly data: unknown }

export interface ConsoleOutput { port: 'host' | 'guest'; text: string }

export interface MachineApi {
  readonly cpu: CpuState;
  /** True while the CPU is in VMX non-root operation (running the guest). */
  readonly inGuest: boolean;

  /** Run at most `budget` instructions; returns early on any stop. Never throws for guest behaviour. */
  run(budget: number): StopReason;
  /** Execute exactly one instruction (or deliver one pending event). Breakpoints at the current RIP do not stop it. */
  step(): StopReason;
  /** Ask a run() in progress (from a hook or another slice) to stop with { kind: 'pause' }. */
  requestPause(): void;

  addBreakpoint(address: bigint, space: 'linear' | 'physical'): void;
  removeBreakpoint(address: bigint, space: 'linear' | 'physical'): void;
  addWatchpoint(address: bigint, length: number, access: 'read' | 'write' | 'readwrite', space: 'linear' | 'physical'): void;
  removeWatchpoint(address: bigint, length: number, space: 'linear' | 'physical'): void;

  /** Hooks: return true to stop run() right after the transition. */
  onVmExit(hook: (exit: VmExitInfo) => boolean): void;
  onVmEntry(hook: (entry: VmEntryInfo) => boolean): void;
  onTrace(listener: (record: TraceRecord) => void): void;
  onConsole(listener: (out: ConsoleOutput) => void): void;

  /** Memory through a translation; bytes that do not translate are returned as undefined entries (null result if none do). */
  readMemory(address: bigint, length: number, space: AddressSpace): Uint8Array | null;
  /** Returns the number of bytes written before the first untranslatable byte. */
  writeMemory(address: bigint, data: Uint8Array, space: AddressSpace): number;
  /** Translate without side effects (no A/D bits, no faults); undefined if not mapped. */
  translate(address: bigint, space: AddressSpace): bigint | undefined;

  /** The current VMCS (VMPTRST's), or undefined if none. Fields use SDM Appendix B encodings. */
  vmcsRead(encoding: number): bigint | undefined;
  vmcsWrite(encoding: number, value: bigint): boolean;
  readonly currentVmcs: bigint | undefined;

  snapshot(): MachineSnapshot;
  restore(snapshot: MachineSnapshot): void;
}
