// Public surface of the debug-info library (see docs/debug-info.md). The adapter imports from here.

export { DebugInfo, type FrameState, type FunctionSummary, type ScopeInfo, type VariableValue } from './debugInfo';
export type { Location } from './expression';
export type { LinePlacement, LineRange, SourceLocation } from './lineTable';
export type { BlockInfo, FunctionInfo, LocationDescription, VariableInfo } from './scopes';
export type { SymbolInfo } from './elfSections';
export { resolveType, sizeOf, typeName, type CType, type Member, type Enumerator } from './types';
export { formatValue, formatBitfield, readUnsigned, type ChildDescriptor, type FormattedValue, type FormatOptions } from './valueFormat';
export type { MemoryReader, RegisterSet, UnwoundFrame } from './unwind';
export { X86_64_DWARF_REGS, type RegName } from './dwarfConstants';
