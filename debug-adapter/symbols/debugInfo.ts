// The debug-info library's front door: one DebugInfo per ELF executable (host or guest),
// answering the debug adapter's questions about addresses, lines, frames, variables and
// types. Everything is parsed once at load; queries are synchronous and side-effect free.

import { readFileSync } from 'node:fs';
import { CallFrameInfo } from './callFrameInfo';
import { DebugInfoSection, type Die } from './dies';
import { At, Tag, X86_64_DWARF_REGS } from './dwarfConstants';
import { dwarfSections } from './dwarfSections';
import { readElfImage, type ElfImage, type SymbolInfo } from './elfSections';
import { evaluateLocation, type ExpressionContext, type Location } from './expression';
import { parseLineProgram } from './lineProgram';
import { LineTable, type LinePlacement, type LineRange, type SourceLocation } from './lineTable';
import { ProgramScopes, type BlockInfo, type LocationDescription, type VariableInfo } from './scopes';
import { formatSymbolic, SymbolTable } from './symbolTable';
import { sizeOf, type CType } from './types';
import { computeCfa, unwindFrame, type MemoryReader, type RegisterSet, type UnwoundFrame } from './unwind';
import { formatValue, type FormatOptions, type FormattedValue } from './valueFormat';

/** A frame as the adapter knows it: its registers and a way to read the memory it sees. */
export interface FrameState {
  registers: RegisterSet;
  readMemory: MemoryReader;
  /** True for every frame but the innermost (its rip is a return address). */
  callerFrame?: boolean;
}

export interface FunctionSummary {
  name: string;
  low: bigint;
  /** One past the last byte (of the range holding low). */
  high: bigint;
  file?: string;
  line?: number;
  source: 'dwarf' | 'symbol';
}

export interface ScopeInfo {
  function: FunctionSummary | undefined;
  /** Innermost first, ending with the out-of-line function. */
  blocks: BlockInfo[];
  /** Parameters and locals visible at pc, innermost first; shadowed names removed. */
  variables: VariableInfo[];
  /** Inlined subroutines active at pc, innermost first (their names and call sites). */
  inlined: Array<{ name: string; callFile?: string; callLine?: number }>;
}

export interface VariableValue {
  location: Location;
  /** The value's bytes, or undefined with `error` saying why (optimized out, unreadable memory). */
  bytes?: Uint8Array;
  /** When only parts are known (DW_OP_piece): per byte, nonzero = optimized out. */
  unavailable?: Uint8Array;
  error?: string;
}

export class DebugInfo {
  readonly symbols: SymbolTable;
  readonly lines: LineTable;
  readonly cfi: CallFrameInfo;
  readonly scopes: ProgramScopes;
  private readonly unitsWithLocationLists = new Set<Die>();

  private constructor(readonly elf: ElfImage) {
    const s = dwarfSections(elf);
    this.symbols = new SymbolTable(elf.symbols);
    const info = new DebugInfoSection(s);
    const sequences = [];
    const fileTables = new Map<Die, string[]>();
    for (const unit of info.units) {
      const stmt = unit.root.raw(At.stmt_list);
      if (stmt?.kind !== 'secOffset' && stmt?.kind !== 'udata') continue;
      const program = parseLineProgram(s, Number(stmt.value), unit.compDir);
      fileTables.set(unit.root, program.files);
      sequences.push(...program.sequences);
    }
    this.lines = new LineTable(sequences);
    this.cfi = new CallFrameInfo(s);
    this.scopes = new ProgramScopes(info.units.map((u) => u.root), (die, index) => {
      let cu: Die = die;
      while (cu.parent) cu = cu.parent;
      return fileTables.get(cu)?.[index];
    });
    for (const unit of info.units) if (hasLocationList(unit.root)) this.unitsWithLocationLists.add(unit.root);
  }

  /** Loads an executable from a path or from its bytes (`name` is used in messages). */
  static load(source: string | Uint8Array, name?: string): DebugInfo {
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try { bytes = readFileSync(source); } catch (e) { throw new Error(`Cannot read ${source}: ${(e as Error).message}`); }
    } else bytes = source;
    return new DebugInfo(readElfImage(bytes, name ?? (typeof source === 'string' ? source : 'ELF image')));
  }

  get name(): string { return this.elf.name; }
  get entry(): bigint { return this.elf.entry; }
  /** False for executables built without -g: only ELF symbols and unwinding work then. */
  get hasDwarf(): boolean { return this.lines.allRows.length > 0 || this.scopes.functions.length > 0; }

  // ---- symbols -----------------------------------------------------------------------

  /** "add+0x4", or undefined outside any symbol. */
  describeAddress(address: bigint): string | undefined {
    const hit = this.symbols.at(address);
    return hit ? formatSymbolic(hit) : undefined;
  }

  symbolNamed(name: string): SymbolInfo | undefined { return this.symbols.lookup(name); }

  /** The function holding pc: from DWARF when it covers pc, else the ELF symbol. */
  functionAt(pc: bigint): FunctionSummary | undefined {
    const f = this.scopes.functionAt(pc);
    if (f) {
      const r = f.ranges.find((x) => pc >= x.low && pc < x.high) ?? f.ranges[0];
      return { name: f.name, low: r.low, high: r.high, file: f.declFile, line: f.declLine, source: 'dwarf' };
    }
    const hit = this.symbols.at(pc, 'function');
    if (!hit) return undefined;
    return { name: hit.symbol.name, low: hit.symbol.value, high: hit.symbol.value + BigInt(hit.symbol.size), source: 'symbol' };
  }

  /**
   * Where a function breakpoint on `name` goes: after the prologue of every out-of-line copy
   * (a static function from a header exists once per file that uses it), as gdb places it.
   */
  functionBreakpoints(name: string): LinePlacement[] {
    const lows = new Set(this.scopes.functions.filter((f) => f.name === name).map((f) => f.low));
    if (lows.size === 0) {
      const sym = this.symbols.lookup(name);
      if (sym?.kind === 'function') lows.add(sym.value);
    }
    return [...lows].sort((a, b) => (a < b ? -1 : 1)).map((low) => {
      const address = this.afterPrologue(low);
      return { address, line: this.lines.lineAt(address)?.line ?? 0 };
    });
  }

  /** The first of functionBreakpoints(name) (the lowest address), for callers that want one. */
  functionBreakpoint(name: string): LinePlacement | undefined { return this.functionBreakpoints(name)[0]; }

  // ---- lines -------------------------------------------------------------------------

  lineAt(pc: bigint): (SourceLocation & { address: bigint }) | undefined { return this.lines.lineAt(pc); }

  /** The [start, end) addresses of the source line holding pc (for stepping by line). */
  lineRangeAt(pc: bigint): LineRange | undefined { return this.lines.lineRangeAt(pc); }

  /**
   * Breakpoint addresses for `file:line` (file may be a full path or a path suffix): the
   * line's lowest is_stmt address per block, or those of the next line with code; at a
   * function's entry the breakpoint moves past the prologue. `line` is where it landed.
   */
  addressesForLine(file: string, line: number): LinePlacement[] {
    return this.lines.placements(file, line,
      (a) => this.scopes.blocksAt(a)[0]?.die.offset,
      (a) => this.afterPrologue(a));
  }

  sourceFiles(): string[] { return this.lines.files; }

  /**
   * Where a breakpoint at `address` really goes, by gdb's prologue skipping for gcc code
   * (amd64_analyze_prologue + skip_prologue_sal): only at a function's entry; past `[endbr64] push %rbp; mov %rsp,%rbp` and on to the end of
   * that line-table entry. Units with location lists (optimized code) are trusted as is.
   */
  afterPrologue(address: bigint): bigint {
    const f = this.scopes.functionAt(address);
    if (!f || f.low !== address) return address;
    let cu: Die = f.die;
    while (cu.parent) cu = cu.parent;
    if (this.unitsWithLocationLists.has(cu)) return address;
    const code = this.elf.readStatic(address, 12);
    if (!code) return address;
    let i = 0;
    if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) i = 4;
    if (code[i] !== 0x55) return address;
    const mov = (code[i + 1] === 0x48 && code[i + 2] === 0x89 && code[i + 3] === 0xe5) || (code[i + 1] === 0x48 && code[i + 2] === 0x8b && code[i + 3] === 0xec);
    if (!mov) return address;
    const pc = address + BigInt(i + 4);
    const range = this.lines.lineAt(pc);
    if (!range || range.address === pc) return pc;
    const span = this.lines.spanEnd(pc);
    const end = f.ranges.find((r) => address >= r.low && address < r.high)?.high ?? address;
    return span !== undefined && span < end ? span : pc;
  }

  // ---- frames ------------------------------------------------------------------------

  /** The caller's registers (rip = return address), by CFI or the rbp chain; undefined at the outermost frame (the entry function, a zero return address, or no way to unwind). */
  unwind(frame: FrameState): UnwoundFrame | undefined {
    // Like gdb, the function holding the ELF entry point is the outermost frame: nothing called it.
    const pc = frame.registers.rip;
    if (pc !== undefined) {
      const fn = this.functionAt(frame.callerFrame ? pc - 1n : pc);
      if (fn && this.entry >= fn.low && this.entry < fn.high) return undefined;
    }
    const caller = unwindFrame(this.cfi, frame.registers, frame.readMemory, frame.callerFrame ?? false);
    // A zero return address marks the bottom of a stack (the sample guest's user entry pushes one).
    return caller?.registers.rip === 0n ? undefined : caller;
  }

  /** The canonical frame address of a frame (its DW_OP_call_frame_cfa), if known. */
  cfaOf(frame: FrameState): bigint | undefined {
    const cfa = computeCfa(this.cfi, frame.registers, frame.readMemory, frame.callerFrame ?? false);
    if (cfa !== undefined) return cfa;
    const rbp = frame.registers.rbp;
    return rbp !== undefined ? rbp + 16n : undefined;
  }

  // ---- variables ---------------------------------------------------------------------

  /** `callerFrame`: pc is a return address, so the scope is looked up at pc-1 (the call). */
  scopeAt(pc: bigint, callerFrame = false): ScopeInfo {
    const at = callerFrame ? pc - 1n : pc;
    const blocks = this.scopes.blocksAt(at);
    const seen = new Set<string>();
    const variables: VariableInfo[] = [];
    // Up to the innermost function-like scope: an inlined body does not see its caller's locals.
    for (const b of blocks) {
      for (const v of b.variables) {
        if (seen.has(v.name)) continue;
        seen.add(v.name);
        variables.push(v);
      }
      if (b.kind !== 'block') break;
    }
    const inlined = blocks.filter((b) => b.kind === 'inlined').map((b) => ({ name: b.name ?? '?', callFile: b.callFile, callLine: b.callLine }));
    return { function: this.functionAt(at), blocks, variables, inlined };
  }

  globals(): VariableInfo[] { return this.scopes.globals; }

  globalNamed(name: string): VariableInfo | undefined {
    return this.scopes.globals.find((g) => g.name === name && g.external) ?? this.scopes.globals.find((g) => g.name === name);
  }

  /** A type by its C name ("int", "u64", "struct point", "enum color"). */
  typeNamed(name: string): CType | undefined { return this.scopes.typeNamed(name); }

  /** Where a variable lives in `frame` (globals ignore the frame's registers). */
  locate(variable: VariableInfo, frame: FrameState): Location {
    const pc = frame.registers.rip ?? 0n;
    const expr = pickExpression(variable.location, frame.callerFrame ? pc - 1n : pc);
    if (variable.location.kind === 'constant') {
      const v = variable.location.value;
      return typeof v === 'bigint' ? { kind: 'value', value: v } : { kind: 'implicit', bytes: v };
    }
    if (!expr) return { kind: 'unavailable', reason: 'optimized out' };
    return evaluateLocation(expr, this.context(frame, pc));
  }

  /** The bytes of a variable in `frame`, sized by its type. */
  readVariable(variable: VariableInfo, frame: FrameState): VariableValue {
    const location = this.locate(variable, frame);
    const size = sizeOf(variable.type);
    if (location.kind === 'pieces') return { location, ...this.readPieces(location.pieces, size, frame) };
    const bytes = this.readLocation(location, size, frame);
    return typeof bytes === 'string' ? { location, error: bytes } : { location, bytes };
  }

  /** A value assembled from pieces; pieces that are optimized out or unreadable are marked, not fatal. */
  private readPieces(pieces: Array<{ location: Location | undefined; size: number }>, size: number, frame: FrameState): Omit<VariableValue, 'location'> {
    const bytes = new Uint8Array(size);
    const unavailable = new Uint8Array(size).fill(1);
    let at = 0;
    for (const p of pieces) {
      const n = Math.min(p.size, size - at);
      const part = p.location && p.location.kind !== 'pieces' ? this.readLocation(p.location, p.size, frame) : undefined;
      if (part instanceof Uint8Array && n > 0) { bytes.set(part.subarray(0, n), at); unavailable.fill(0, at, at + n); }
      at += p.size;
    }
    if (unavailable.every((u) => u !== 0)) return { error: 'optimized out' };
    return unavailable.some((u) => u !== 0) ? { bytes, unavailable } : { bytes };
  }

  /** readVariable + formatValue: the display a Variables view needs. */
  formatVariable(variable: VariableInfo, frame: FrameState, options: FormatOptions = {}): FormattedValue & { error?: string } {
    const v = this.readVariable(variable, frame);
    if (!v.bytes) return { value: `<${v.error}>`, type: formatValue(variable.type, new Uint8Array(sizeOf(variable.type))).type, error: v.error };
    return formatValue(variable.type, v.bytes, {
      unavailable: v.unavailable,
      readMemory: frame.readMemory,
      symbolize: (a) => { const hit = this.symbols.at(a); return hit && (hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+${hit.offset}`); },
      ...options,
    });
  }

  private context(frame: FrameState, pc: bigint): ExpressionContext {
    const regs = frame.registers;
    const fn = this.scopes.functionAt(frame.callerFrame ? pc - 1n : pc);
    return {
      readRegister: (n) => { const name = X86_64_DWARF_REGS[n]; return name ? regs[name] : undefined; },
      readMemory: frame.readMemory,
      cfa: () => this.cfaOf(frame),
      frameBase: () => {
        if (!fn) return undefined;
        const fbExpr = pickExpression(fn.frameBase, frame.callerFrame ? pc - 1n : pc);
        if (!fbExpr) return undefined;
        const loc = evaluateLocation(fbExpr, { ...this.context(frame, pc), frameBase: undefined });
        if (loc.kind === 'memory') return loc.address;
        if (loc.kind === 'register') { const name = X86_64_DWARF_REGS[loc.reg]; return name ? regs[name] : undefined; }
        return undefined;
      },
      addrIndex: (i) => fn?.die.unit.addrIndex(i) ?? 0n,
    };
  }

  private readLocation(location: Location, size: number, frame: FrameState): Uint8Array | string {
    switch (location.kind) {
      case 'memory': {
        const b = frame.readMemory(location.address, size);
        return b && b.length >= size ? b.subarray(0, size) : `cannot read memory at 0x${location.address.toString(16)}`;
      }
      case 'register': {
        const name = X86_64_DWARF_REGS[location.reg];
        const v = name ? frame.registers[name] : undefined;
        if (v === undefined) return `register ${name ?? location.reg} is not available in this frame`;
        return littleEndian(v, size);
      }
      case 'value': return littleEndian(location.value, size);
      case 'implicit': return location.bytes.subarray(0, size);
      case 'pieces': {
        const v = this.readPieces(location.pieces, size, frame);
        return v.bytes && !v.unavailable ? v.bytes : 'optimized out (in part)';
      }
      case 'unavailable': return location.reason;
    }
  }
}

function littleEndian(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < size && i < 8; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function pickExpression(loc: LocationDescription, pc: bigint): Uint8Array | undefined {
  if (loc.kind === 'expression') return loc.expr;
  if (loc.kind === 'list') return loc.entries.find((e) => pc >= e.low && pc < e.high)?.expr;
  return undefined;
}

function hasLocationList(cu: Die): boolean {
  const stack = [cu];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (d.tag === Tag.variable_ || d.tag === Tag.formal_parameter) {
      const l = d.raw(At.location);
      if (l && (l.kind === 'secOffset' || l.kind === 'loclistx')) return true;
    }
    stack.push(...d.children);
  }
  return false;
}
