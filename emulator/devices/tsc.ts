// The deterministic time-stamp counter (docs/platform.md "Time"): one tick per retired
// instruction. CpuState.icount counts retired instructions; CpuState.tsc holds the offset
// that a WRMSR to IA32_TIME_STAMP_COUNTER (0x10) establishes, so no BigInt is touched per
// instruction.

import type { CpuState } from '../cpu/state';

export const IA32_TIME_STAMP_COUNTER = 0x10;
/** Nominal frequency: the TIMESTAMP column of the trace is TSC / TSC_HZ seconds. */
export const TSC_HZ = 1_000_000_000n;

/** The value RDTSC returns in VMX root mode (non-root adds the VMCS TSC offset when enabled). */
export function readTsc(state: CpuState): bigint {
  return state.tsc + BigInt(state.icount);
}

/** WRMSR IA32_TIME_STAMP_COUNTER: make readTsc() return `value` now. */
export function writeTsc(state: CpuState, value: bigint): void {
  state.tsc = BigInt.asUintN(64, value - BigInt(state.icount));
}
