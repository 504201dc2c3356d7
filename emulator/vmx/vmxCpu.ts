// What VMX needs from the processor it is part of. The interpreter's Cpu class satisfies this
// structurally; tests use a small fake built on the real CpuState and PhysicalMemory.

import type { CpuState } from '../cpu/state';
import type { PhysicalMemory } from '../memory/physical';

/** switchAddressSpace's `space` for VMX root operation and for a guest without EPT (a guest with EPT: its EPT root). */
export const ROOT_SPACE = -1, GUEST_SPACE = -2;

export interface VmxCpu {
  readonly state: CpuState;
  readonly phys: PhysicalMemory;
  /**
   * Moves whenever the system registers (control and debug registers, MSRs, segments, descriptor
   * tables) may have changed other than by VMX itself: VM exits skip their save while it stands
   * still since an entry that left them as saved (savedGuestState.ts).
   */
  readonly systemWrites: number;
  /** Length in bytes of the instruction being executed (the VM-exit instruction-length field). */
  readonly insnLength: number;
  /** Data read/write of a memory operand at the current CPL and paging; may throw CpuFault. */
  readLinear64(linear: bigint): bigint;
  writeLinear64(linear: bigint, value: bigint): void;
  /** Drop cached translations and anything derived from CR0/CR3/CR4/EFER/CS (INVEPT, INVVPID). */
  flushTlb(): void;
  /** The processor now runs in `space` (ROOT_SPACE, GUEST_SPACE, or the guest's EPT root): called after VM entry and exit, where the TLB is flushed (29.4.3). */
  switchAddressSpace(space: number): void;
  /** An EPT walk read an entry at host-physical `addr` (writes to that page must now be noticed). */
  markPagingStructure(addr: number): void;
  /**
   * VM-entry event injection (SDM 27.6): deliver `vector` of `type` (25.8.3 encoding) through the
   * guest IDT now, as if it occurred at the guest's first instruction boundary.
   */
  injectEvent(vector: number, type: number, errorCode: number | undefined, instructionLength: number): void;
  /** RDMSR as CPL 0 would see it, for the VM-exit MSR-store area (28.4); undefined where RDMSR would #GP. */
  readMsr(index: number): bigint | undefined;
  /** WRMSR as CPL 0 would do it, for the MSR-load areas (27.4, 28.6); false where WRMSR would #GP. */
  writeMsr(index: number, value: bigint): boolean;
}
