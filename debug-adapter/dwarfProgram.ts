// ProgramSymbols on the DWARF library (debug-adapter/symbols): translates between the
// adapter's frame registers (ModRM order) and the library's named register sets, and turns
// formatted C values into expandable, writable VariableNodes.

import { GPR_NAMES } from '../emulator/api';
import type { FileAccess } from './fileAccess';
import type { LoadedElf } from './launchConfig';
import type { FrameRegisters, LineLocation, MemoryReader, MemoryWriter, ProgramSymbols, VariableNode } from './programSymbols';
import { resolveSourcePaths, type SourcePaths } from './sourcePaths';
import { DebugInfo, formatValue, readUnsigned, resolveType, sizeOf, type ChildDescriptor, type CType, type FrameState, type RegisterSet } from './symbols';
import type { VariableInfo } from './symbols';

function toRegisterSet(regs: FrameRegisters): RegisterSet {
  const set: RegisterSet = { rip: regs.rip };
  for (const i of regs.known) set[GPR_NAMES[i]] = regs.gpr[i];
  return set;
}

function fromRegisterSet(set: RegisterSet): FrameRegisters {
  const gpr = new BigUint64Array(16);
  const known = new Set<number>();
  GPR_NAMES.forEach((name, i) => {
    const v = set[name];
    if (v !== undefined) { gpr[i] = v; known.add(i); }
  });
  return { rip: set.rip ?? 0n, gpr, known, caller: true };
}

/** A scalar's number: integers (sign-extended when signed), enums, pointers. */
function numericValue(type: CType, bytes: Uint8Array): bigint | undefined {
  const t = resolveType(type);
  if (t.kind === 'pointer') return readUnsigned(bytes, 0, t.size);
  if (t.kind === 'base' && t.encoding !== 'float' && t.encoding !== 'other') {
    const raw = readUnsigned(bytes, 0, t.size);
    return t.encoding === 'signed' || t.encoding === 'signed-char' ? BigInt.asIntN(t.size * 8, raw) : raw;
  }
  if (t.kind === 'enum') {
    const raw = readUnsigned(bytes, 0, t.size);
    return t.signed ? BigInt.asIntN(t.size * 8, raw) : raw;
  }
  return undefined;
}

/** A new scalar value typed by the user: integer literals, 'c', or an enumerator name. */
function parseScalar(type: CType, text: string): bigint {
  const t = resolveType(type);
  const s = text.trim();
  if (t.kind === 'enum') {
    const e = t.enumerators.find((x) => x.name === s);
    if (e) return e.value;
  }
  const char = /^'(.)'$/.exec(s);
  if (char) return BigInt(char[1].charCodeAt(0));
  const m = /^(-)?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.exec(s);
  if (!m) throw new Error(`"${text}" is not a number this variable can hold.`);
  return m[1] ? -BigInt(m[2]) : BigInt(m[2]);
}

function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** Paths in and out are the client's (see sourcePaths.ts); the DWARF library keeps the recorded ones. */
class DwarfProgram implements ProgramSymbols {
  constructor(private readonly info: DebugInfo, readonly elfPath: string, private readonly paths: SourcePaths) {}

  get entry(): bigint { return this.info.entry; }

  sourceFiles(): string[] { return this.info.sourceFiles().map((f) => this.paths.toClient(f)); }

  lineToAddresses(path: string, line: number): LineLocation[] {
    return this.info.addressesForLine(this.paths.toDwarf(path), line).map((p) => ({ path, line: p.line, column: 1, address: p.address }));
  }

  addressToLine(address: bigint): LineLocation | undefined {
    const l = this.info.lineAt(address);
    return l ? { path: this.paths.toClient(l.file), line: l.line, column: l.column, address: l.address } : undefined;
  }

  functionAt(address: bigint) {
    const f = this.info.functionAt(address);
    return f ? { name: f.name, low: f.low, high: f.high } : undefined;
  }

  functionByName(name: string) {
    const sym = this.info.symbolNamed(name);
    const f = sym ? this.info.functionAt(sym.value) : undefined;
    return f && f.name === name ? { name, low: f.low, high: f.high } : undefined;
  }

  bodyStart(fn: { name: string; low: bigint }): bigint {
    return this.info.functionBreakpoint(fn.name)?.address ?? fn.low;
  }

  functionBreakpointAddresses(name: string): bigint[] {
    return this.info.functionBreakpoints(name).map((p) => p.address);
  }

  symbolAddress(name: string): bigint | undefined { return this.info.symbolNamed(name)?.value; }

  private frame(regs: FrameRegisters, memory: MemoryReader): FrameState {
    return { registers: toRegisterSet(regs), readMemory: (a, n) => memory.read(a, n), callerFrame: regs.caller ?? false };
  }

  unwind(regs: FrameRegisters, memory: MemoryReader): { caller: FrameRegisters; cfa: bigint } | undefined {
    const up = this.info.unwind(this.frame(regs, memory));
    return up ? { caller: fromRegisterSet(up.registers), cfa: up.cfa } : undefined;
  }

  locals(regs: FrameRegisters, memory: MemoryReader, writer?: MemoryWriter): VariableNode[] {
    const frame = this.frame(regs, memory);
    const pc = frame.callerFrame ? regs.rip - 1n : regs.rip;
    return this.info.scopeAt(pc).variables.map((v) => this.variable(v, frame, memory, writer));
  }

  global(name: string, memory: MemoryReader, writer?: MemoryWriter): VariableNode | undefined {
    const g = this.info.globalNamed(name);
    if (!g) return undefined;
    return this.variable(g, { registers: {}, readMemory: (a, n) => memory.read(a, n) }, memory, writer);
  }

  globals(memory: MemoryReader, writer?: MemoryWriter): VariableNode[] {
    const frame: FrameState = { registers: {}, readMemory: (a, n) => memory.read(a, n) };
    return this.info.globals().map((g) => this.variable(g, frame, memory, writer)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private variable(v: VariableInfo, frame: FrameState, memory: MemoryReader, writer?: MemoryWriter): VariableNode {
    const value = this.info.readVariable(v, frame);
    const address = value.location.kind === 'memory' ? value.location.address : undefined;
    if (!value.bytes) return { name: v.name, value: `<${value.error}>`, type: formatValue(v.type, new Uint8Array(sizeOf(v.type))).type };
    return this.node(v.name, v.type, value.bytes, address, memory, writer);
  }

  private node(name: string, type: CType, bytes: Uint8Array, address: bigint | undefined, memory: MemoryReader, writer?: MemoryWriter): VariableNode {
    const f = formatValue(type, bytes, { readMemory: (a, n) => memory.read(a, n), symbolize: (a) => this.info.describeAddress(a) });
    const numeric = numericValue(type, bytes);
    const size = sizeOf(type);
    return {
      name, value: f.value, type: f.type, numeric,
      memoryReference: f.pointer ?? address,
      address, size,
      children: f.children ? () => f.children!.map((c) => this.child(c, bytes, memory, writer, address)) : undefined,
      assign: numeric !== undefined && address !== undefined && writer
        ? (text) => {
          if (writer.write(address, littleEndian(parseScalar(type, text), size)) < size) throw new Error(`Memory at 0x${address.toString(16)} cannot be written.`);
        }
        : undefined,
    };
  }

  private child(c: ChildDescriptor, parentBytes: Uint8Array, memory: MemoryReader, writer: MemoryWriter | undefined, parentAddress: bigint | undefined): VariableNode {
    const size = sizeOf(c.type);
    if (c.address !== undefined) {
      const bytes = memory.read(c.address, size);
      if (!bytes) return { name: c.name, value: `<cannot read memory at 0x${c.address.toString(16)}>` };
      return this.node(c.name, c.type, bytes, c.address, memory, writer);
    }
    const offset = c.offset ?? 0;
    const bytes = parentBytes.subarray(offset, offset + size);
    if (c.bitSize !== undefined) {
      const raw = readUnsigned(parentBytes, offset, Math.min(8, parentBytes.length - offset));
      const v = (raw >> BigInt(c.bitOffset ?? 0)) & ((1n << BigInt(c.bitSize)) - 1n);
      return { name: c.name, value: String(v), numeric: v };
    }
    return this.node(c.name, c.type, bytes, parentAddress !== undefined ? parentAddress + BigInt(offset) : undefined, memory, writer);
  }
}

/** Loads `elf`'s DWARF and resolves its source paths once, against the files as they are now (`cwd` is the launch's folder). */
export async function loadProgramSymbols(elf: LoadedElf, fs: FileAccess, cwd: string): Promise<ProgramSymbols> {
  const info = DebugInfo.load(elf.bytes, elf.path);
  const paths = await resolveSourcePaths(info.sourceFiles(), cwd, elf.path, fs);
  return new DwarfProgram(info, elf.path, paths);
}
