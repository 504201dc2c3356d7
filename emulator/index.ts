// Public surface of the emulator package: the machine, its API types, the ELF reader, the
// platform constants and the ftrace renderer. Consumers (debug adapter, CLI, tests) import
// from here rather than from the files behind it.

export type {
  AddressSpace, ConsoleOutput, MachineApi, MachineSnapshot, StopReason, VmEntryInfo, VmExitInfo,
} from './api';
export { Machine, PORT_COM1, PORT_COM2, PORT_EXIT, PORT_TRACE, type MachineOptions } from './machine';
export { CpuState, GPR_NAMES, SEG_NAMES } from './cpu/state';
export {
  parseElf, cString, ElfFile, SymbolType, SymbolBinding, SHT_SYMTAB, SHT_NOBITS, SHT_DYNSYM, PT_LOAD, EM_X86_64,
  type ElfHeader, type ElfSymbol, type ProgramHeader, type SectionHeader,
} from './loader/elf';
export { baseName, readBootInfo, type BootInfo } from './loader/boot';
export * as memoryMap from './loader/memoryMap';
export type { TraceEventName, TraceRecord } from './trace/record';
export { renderTrace, ftraceHeader, ftraceHeaderLines, formatEvent, formatContext, formatTimestamp } from './trace/ftrace';
export { kvmExitReasonName, kvmExitReasonText } from './trace/kvmExitReasons';
export { readTsc, TSC_HZ } from './devices/tsc';
