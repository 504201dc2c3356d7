// What the adapter asks of one program's debug information (an ELF with DWARF): lines,
// functions, unwinding and variables. The DWARF library in symbols/ provides it; the rest of
// the adapter sees only this shape, so host and guest are handled the same way.

export type Side = 'host' | 'guest';

/** Registers of one frame, GPRs in ModRM order (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15). */
export interface FrameRegisters {
  rip: bigint;
  gpr: BigUint64Array;
  /** GPR indices whose value is known in this frame (all for frame 0; callee-saved ones after unwinding). */
  known: Set<number>;
  /** Not the innermost frame: rip is a return address (lines and variables look one byte back). */
  caller?: boolean;
}

/** Reads memory the way the program sees it (its linear addresses). */
export interface MemoryReader {
  read(address: bigint, length: number): Uint8Array | null;
}

export interface LineLocation { path: string; line: number; column: number; address: bigint }

export interface FunctionInfo { name: string; low: bigint; high: bigint }

/** A variable (or member, element) ready to show: text value plus children to expand. */
export interface VariableNode {
  name: string;
  value: string;
  type?: string;
  /** Where the memory view opens: a pointer's value, else the object's own address. */
  memoryReference?: bigint;
  /** The object's own address and size in bytes, when it lives in memory (for `&` and data breakpoints). */
  address?: bigint;
  size?: number;
  children?: () => VariableNode[];
  /** Numeric value when the variable is a scalar (integers, pointers, enums). */
  numeric?: bigint;
  /** Writes a new value given as a C literal; undefined when the location is not writable. */
  assign?: (text: string) => void;
}

export interface ProgramSymbols {
  readonly elfPath: string;
  readonly entry: bigint;
  /** Absolute paths of the C/assembly sources in the line tables. */
  sourceFiles(): string[];
  /** Machine addresses for a source line: the statement starts of that line, or of the next line that has code. */
  lineToAddresses(path: string, line: number): LineLocation[];
  /** The line-table row covering `address` (`address` of the result is the row's first byte). */
  addressToLine(address: bigint): LineLocation | undefined;
  functionAt(address: bigint): FunctionInfo | undefined;
  functionByName(name: string): FunctionInfo | undefined;
  /** First address after the prologue (where stepping into `fn` stops). */
  bodyStart(fn: FunctionInfo): bigint;
  /** Where a function breakpoint on `name` goes: after the prologue of every out-of-line copy (static inline helpers have one per file). */
  functionBreakpointAddresses(name: string): bigint[];
  /** Address of a global/static variable or function symbol by name. */
  symbolAddress(name: string): bigint | undefined;
  /** The caller's registers and this frame's CFA, or undefined at the outermost frame. */
  unwind(regs: FrameRegisters, memory: MemoryReader): { caller: FrameRegisters; cfa: bigint } | undefined;
  /** Parameters and locals in scope at regs.rip. */
  locals(regs: FrameRegisters, memory: MemoryReader, writer?: MemoryWriter): VariableNode[];
  /** A global by name, for evaluate. */
  global(name: string, memory: MemoryReader, writer?: MemoryWriter): VariableNode | undefined;
  /** Every global and file-scope static variable. */
  globals(memory: MemoryReader, writer?: MemoryWriter): VariableNode[];
}

export interface MemoryWriter {
  write(address: bigint, data: Uint8Array): number;
}
