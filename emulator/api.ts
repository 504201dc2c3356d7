// The emulator's public surface: the debug adapter's only door to the emulator (the layering
// test enforces it). Knows nothing of DAP or VS Code. MachineApi is implemented by machine.ts
// (class Machine), imported statically: loaded with import(), it and every module it imports
// ran as lazy initializers in the bundles, where V8 reads their module-level constants as
// variables (the VM transitions ~10 % slower; docs/performance.md, tenth session).

import type { GPR_NAMES, Segment } from './cpu/state';
import { Machine, type MachineOptions } from './machine';
import type { TraceRecord } from './trace/record';

// Vocabulary the adapter shares with the emulator: register and VMCS field names, the ELF
// reader, the disassembler, trace records and KVM's names of exit reasons.
export { Reg, GPR_NAMES, SEG_NAMES, type Segment } from './cpu/state';
export { Field, ExitReason, VMCS_FIELDS, VM_INSTRUCTION_ERROR_MESSAGES, exitReasonName, type FieldGroup } from './vmx/fields';
export { parseElf, assertX86_64Executable, SHT_NOBITS, SymbolBinding, SymbolType, type ElfFile } from './loader/elf';
export { disassembleOne, type DisasmLine } from './disasm/disassembler';
export { kvmExitReasonName } from './trace/kvmExitReasons';
export { hypercallDefines, UPSTREAM_HYPERCALLS, type HypercallDefine } from './trace/kvmHypercalls';
export { escalationText, exceptionName } from './cpu/exceptionNames';
export type { TraceEventName, TraceRecord } from './trace/record';
export type { MachineOptions } from './machine';

/** Boots a machine from two ELF images; rejects with one sentence naming a bad file. */
export async function bootMachine(options: MachineOptions): Promise<MachineApi> {
  return Machine.boot(options);
}

/** Registers read and written by name through MachineApi (those of the side that runs). */
export type RegisterName = typeof GPR_NAMES[number] | 'rip' | 'rflags' | 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8' | 'efer' | 'gdtr.base' | 'idtr.base';

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
  | { kind: 'vmexit'; exit: VmExitInfo }                            // stopOnVmExit: a VM exit happened (host is at its entry RIP)
  | { kind: 'vmentry'; entry: VmEntryInfo }                         // stopOnVmEntry: a VM entry succeeded (guest is at its first RIP)
  | { kind: 'vmentry-failure'; failure: EntryFailure }             // VMLAUNCH/VMRESUME failed
  | { kind: 'poweroff'; status: number }                            // host wrote the platform exit port
  | { kind: 'halted' }                                              // HLT with nothing that can wake the CPU
  | { kind: 'shutdown'; fault: TripleFault }                        // triple fault outside VMX non-root: the machine is dead
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

/** The exception whose delivery shut the processor down (SDM vol. 3A 6.15, interrupt 8); front ends phrase it. */
export interface TripleFault {
  rip: bigint;
  /** The exception that could not be delivered; undefined if the machine does not know. */
  vector?: number;
  /** The exception the escalation started from (e.g. #PF before #DF), when it differs. */
  firstVector?: number;
  errorCode?: number;
}

/** Why VMLAUNCH/VMRESUME failed; front ends phrase it. */
export interface EntryFailure {
  /** VM-instruction error number (SDM 31.4; 0 for VMfailInvalid) when the instruction failed; absent for an entry-failure exit. */
  instructionError?: number;
  /** Basic exit reason of a VM-entry-failure exit (SDM 27.8), e.g. 33 INVALID_STATE. */
  exitReason?: number;
  /** The check that failed, naming the field and the rule. */
  check: string;
  /** The SDM section of that check. */
  sdm: string;
  /** GUEST_RIP for an entry-failure exit. */
  guestRip?: bigint;
}

/** Full-machine copy (CPU, VMX and every VMCS, RAM, devices, TSC, trace position) for restore. */
export interface MachineSnapshot {
  readonly icount: number;
  readonly steps: number;
  /** Bytes of RAM pages this snapshot copied; pages unchanged since its base are shared. */
  readonly copiedBytes: number;
  readonly data: unknown;
}

/**
 * Reverse execution (emulator/history/): snapshots at intervals and deterministic
 * re-execution. Moments are machine steps (MachineApi.steps). Device output is part of
 * history: going back truncates what listeners have seen, running forward regenerates it.
 */
export interface HistoryApi {
  /** The furthest moment executed in this timeline (changing the past discards what lies after it). */
  readonly frontier: number;
  /** Bytes held by snapshots (page copies plus state), and how many snapshots there are. */
  readonly memoryBytes: number;
  readonly snapshotCount: number;
  /** Puts the machine in its state at `steps` (clamped to 0..frontier). */
  seek(steps: number): void;
  /**
   * Runs backwards to the latest earlier moment at which a forward run() would have stopped
   * (breakpoint, watchpoint, VM exit or entry as currently configured) and `accept` agrees,
   * and leaves the machine there; at moment 0 with undefined if there is none.
   */
  reverse(accept: (stop: StopReason) => boolean): StopReason | undefined;
  /** Goes back to the latest earlier moment at which `test` holds (tested at every step), or to moment 0 with false. */
  reverseUntil(test: () => boolean): boolean;
  /** reverse() in slices of about one snapshot interval each, so that a caller can look at its events in between and give up. */
  reverseSearch(accept: (stop: StopReason) => boolean): ReverseSearch<StopReason | undefined>;
  /** reverseUntil() in slices, as reverseSearch. */
  reverseUntilSearch(test: () => boolean): ReverseSearch<boolean>;
  /** Called when a write in the past discarded the future, with the moment it happened at (before the write lands). */
  onFutureDiscarded(listener: (steps: number) => void): void;
}

/** A backwards search (HistoryApi.reverseSearch) that its caller drives slice by slice. */
export interface ReverseSearch<T> {
  /** Searches one more slice; true once the search is over and the machine is at its answer (`result`). */
  next(): boolean;
  readonly result: T | undefined;
  /**
   * Gives up: the machine goes to the earliest moment searched completely (no moment between
   * it and where the search began would have been its answer), a snapshot's moment, or stays
   * where it began if no slice completed.
   */
  cancel(): void;
}

export interface HistoryOptions {
  /** Steps between snapshots (default 500 000). */
  interval?: number;
  /** Bytes snapshots may hold before older ones are thinned out (default 256 MiB). */
  memoryLimit?: number;
}

export interface ConsoleOutput { port: 'host' | 'guest'; text: string }

export interface MachineApi {
  /** True while the CPU is in VMX non-root operation (running the guest). */
  readonly inGuest: boolean;
  /** Instructions retired since reset (the TSC counts them too). */
  readonly icount: number;
  /** Machine steps since boot (instructions or event deliveries): the coordinate of history. */
  readonly steps: number;

  /** A register of the CPU (the running side). */
  register(name: RegisterName): bigint;
  /** Writes a register and drops whatever the machine cached from the old value (decoded code, translations). */
  setRegister(name: RegisterName, value: bigint): void;
  /** All 16 GPRs, a copy in ModRM order. */
  gprs(): BigUint64Array;
  /** A segment register (SEG_NAMES order), a copy. */
  segment(index: number): Segment;
  /** Current privilege level. */
  readonly cpl: number;
  /** Whether the CPU runs 64-bit code (IA-32e mode with CS.L), and whether it is in IA-32e mode at all. */
  readonly mode64: boolean;
  readonly longMode: boolean;

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

  /** Whether run()/step() return right after each VM exit / successful VM entry; the caller decides what to do with it. */
  stopOnVmExit: boolean;
  stopOnVmEntry: boolean;
  /** The last VM exit (not entry failures), until the next one; with !inGuest it is the exit the host is handling. */
  readonly lastExit: VmExitInfo | undefined;
  /** Some VM entry succeeded since boot. */
  readonly entered: boolean;
  /** `step`: the moment right after the instruction that emitted the record. */
  onTrace(listener: (record: TraceRecord, step: number) => void): void;
  onConsole(listener: (out: ConsoleOutput) => void): void;

  /**
   * Memory through a translation, one translation per 4 KiB page: the bytes up to the first
   * page that does not translate (so the result's length is the readable length, at most
   * `length`), or null if the first byte does not translate.
   */
  readMemory(address: bigint, length: number, space: AddressSpace): Uint8Array | null;
  /** Returns the number of bytes written before the first untranslatable byte. */
  writeMemory(address: bigint, data: Uint8Array, space: AddressSpace): number;
  /** Translate without side effects (no A/D bits, no faults); undefined if not mapped. */
  translate(address: bigint, space: AddressSpace): bigint | undefined;

  /** The current VMCS (VMPTRST's), or undefined if none. Fields use SDM Appendix B encodings. */
  vmcsRead(encoding: number): bigint | undefined;
  vmcsWrite(encoding: number, value: bigint): boolean;
  /** A field's value as the last VM exit left it (undefined before any exit). */
  vmcsAtLastExit(encoding: number): bigint | undefined;
  readonly currentVmcs: bigint | undefined;

  /** A copy of the whole machine; pages unchanged since the snapshot last taken or restored are shared with it, not copied. */
  snapshot(): MachineSnapshot;
  /** Back (or forward) to a snapshot; listeners' view of device output is truncated to it. */
  restore(snapshot: MachineSnapshot): void;
  /** Starts recording history (idempotent): writes to registers, memory or the VMCS in the past discard the future. */
  enableHistory(options?: HistoryOptions): HistoryApi;
  /** The history, once enableHistory() was called. */
  readonly history: HistoryApi | undefined;
  /** How much device output this timeline produced up to now: trace records and console characters per port (clients truncate to it after going back). */
  outputPosition(): { trace: number; host: number; guest: number };
}
