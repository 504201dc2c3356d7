// The disassemble request: Intel-syntax instructions (emulator/disasm) around a memory
// reference on the host or the guest side, with the source line each belongs to so VS Code's
// disassembly view can interleave them, and branch targets named by the side's symbols.
//
// x86 cannot be decoded from an arbitrary byte, so instructions are decoded only from known
// code starts (a function's entry, a line-table row) or from the address the client named.
// Bytes that the program's debug information says are not code are shown as data (`.byte`
// rows of up to 16, aligned), and pages that do not translate as one `<not mapped>` row
// each, both with presentationHint "invalid", the way debuggers show memory that is not an
// instruction; so the rows of one reference line up however the view pages through them.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { disassembleOne, Field, type DisasmLine } from '../emulator/api';
import type { Debuggee } from './debuggee';
import type { Side } from './programSymbols';

const MAX_INSN = 15;
const DATA_ROW = 16n;
const PAGE = 0x1000n;
const CS_L = 1n << 13n; // access rights: 64-bit code segment (SDM vol. 3C 25.4.1)
/** A function longer than this is not decoded from its entry to find an instruction boundary. */
const MAX_FUNCTION_DECODE = 0x10000n;

type RowKind = 'code' | 'data' | 'unmapped';

interface Row {
  address: bigint;
  length: number;
  kind: RowKind;
  text: string;
  valid: boolean;
  bytes: Uint8Array;
}

function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

const pageStart = (a: bigint): bigint => a & ~(PAGE - 1n);

export class Disassembler {
  /** Addresses shown in the disassembly view, by side: a plain instruction reference from there belongs to that side. */
  private readonly shown = new Map<bigint, Set<Side>>();
  private readonly hasLines = new Map<Side, boolean>();

  constructor(private readonly debuggee: Debuggee) {}

  /** The side whose disassembly showed `address`, when only one did. */
  sideOf(address: bigint): Side | undefined {
    const sides = this.shown.get(address);
    return sides?.size === 1 ? [...sides][0] : undefined;
  }

  /** Whether `side` runs 64-bit code now (the guest may be in compatibility mode). */
  private mode64(side: Side): boolean {
    const d = this.debuggee;
    if (side === d.side) return d.machine.mode64 || !d.machine.longMode;
    if (side === 'host') return true;
    const ar = d.machine.vmcsRead(Field.GUEST_CS_AR);
    return ar === undefined || (ar & CS_L) !== 0n;
  }

  private mapped(side: Side, address: bigint): boolean {
    return this.debuggee.readReadable(side, address, 1).length === 1;
  }

  /** Whether the program's debug information says `address` holds code (a program without a line table cannot say: all code). */
  private isCode(side: Side, address: bigint): boolean {
    const symbols = this.debuggee.symbolsFor(side);
    if (symbols.functionAt(address) || symbols.addressToLine(address)) return true;
    if (!this.hasLines.has(side)) this.hasLines.set(side, symbols.sourceFiles().length > 0);
    return !this.hasLines.get(side);
  }

  /** A known instruction boundary at or below `address` in the same code, if there is one. */
  private codeStart(side: Side, address: bigint): bigint | undefined {
    const symbols = this.debuggee.symbolsFor(side);
    const fn = symbols.functionAt(address);
    if (fn && address - fn.low < MAX_FUNCTION_DECODE) return fn.low;
    return symbols.addressToLine(address)?.address;
  }

  /** The row that starts at `address` (an instruction, data, or an unmapped page). */
  private row(side: Side, address: bigint): Row {
    const end = pageStart(address) + PAGE;
    if (!this.mapped(side, address)) {
      return { address, length: Number(end - address), kind: 'unmapped', text: '<not mapped>', valid: false, bytes: new Uint8Array(0) };
    }
    if (!this.isCode(side, address)) {
      let stop = (address & ~(DATA_ROW - 1n)) + DATA_ROW;
      for (let a = address + 1n; a < stop; a++) if (this.isCode(side, a)) stop = a;
      const bytes = this.debuggee.memory(side).read(address, Number(stop - address)) ?? new Uint8Array(0);
      return { address, length: Number(stop - address), kind: 'data', text: `.byte ${[...bytes].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}`, valid: false, bytes };
    }
    const { line, bytes } = this.decode(side, address);
    return { address, length: line.length, kind: 'code', text: line.text, valid: line.valid, bytes };
  }

  private decode(side: Side, address: bigint): { line: DisasmLine; bytes: Uint8Array } {
    const bytes = this.debuggee.memory(side).read(address, MAX_INSN)!;
    const symbols = this.debuggee.symbolsFor(side);
    const line = disassembleOne(bytes, 0, address, {
      mode64: this.mode64(side),
      symbolize: (a) => {
        const fn = symbols.functionAt(a);
        return fn ? (a === fn.low ? fn.name : `${fn.name}+0x${(a - fn.low).toString(16)}`) : undefined;
      },
    });
    return { line, bytes: bytes.subarray(0, line.length) };
  }

  /** The starts of the rows that end at `end` (exclusive), found from the row or code start before it; empty at address 0. */
  private rowsBefore(side: Side, end: bigint): bigint[] {
    if (end === 0n) return [];
    const last = end - 1n;
    if (!this.mapped(side, last)) return [pageStart(last)];
    let from: bigint;
    if (this.isCode(side, last)) {
      from = this.codeStart(side, last) ?? last;
    } else {
      from = last & ~(DATA_ROW - 1n);
      for (let a = last - 1n; a >= from; a--) {
        if (this.isCode(side, a)) { from = a + 1n; break; }
      }
    }
    const starts: bigint[] = [];
    for (let a = from; a < end; a += BigInt(this.row(side, a).length)) starts.push(a);
    return starts;
  }

  /** `count` rows starting `instructionOffset` rows from `base` (the address the client named is a row start). */
  disassemble(side: Side, base: bigint, instructionOffset: number, count: number): DebugProtocol.DisassembledInstruction[] {
    let start = base;
    if (instructionOffset < 0) {
      const before: bigint[] = [];
      for (let end = base; before.length < -instructionOffset && end > 0n;) {
        const starts = this.rowsBefore(side, end);
        if (starts.length === 0) break;
        before.unshift(...starts);
        end = starts[0];
      }
      // Below address 0 there is nothing: fewer rows than asked.
      const skip = -instructionOffset - before.length;
      if (skip > 0) return this.forward(side, before[0] ?? base, Math.max(0, count - skip));
      start = before[before.length + instructionOffset];
    } else {
      for (let skip = instructionOffset; skip > 0; skip--) start += BigInt(this.row(side, start).length);
    }
    return this.forward(side, start, count);
  }

  private forward(side: Side, start: bigint, count: number): DebugProtocol.DisassembledInstruction[] {
    const symbols = this.debuggee.symbolsFor(side);
    const out: DebugProtocol.DisassembledInstruction[] = [];
    let lastLine = '';
    for (let a = start, i = 0; i < count && a <= 0xffffffffffffffffn; i++) {
      const row = this.row(side, a);
      if (!this.shown.has(a)) this.shown.set(a, new Set());
      this.shown.get(a)!.add(side);
      const fn = row.kind === 'code' ? symbols.functionAt(a) : undefined;
      const source = row.kind === 'code' ? symbols.addressToLine(a) : undefined;
      const key = source ? `${source.path}:${source.line}` : '';
      out.push({
        address: `0x${a.toString(16)}`,
        instructionBytes: row.bytes.length ? hexBytes(row.bytes) : undefined,
        instruction: row.text,
        symbol: fn && fn.low === a ? fn.name : undefined,
        presentationHint: row.valid ? undefined : 'invalid',
        ...(source && key !== lastLine ? { location: this.debuggee.config.paths.source(source.path), line: source.line } : {}),
      });
      lastLine = key;
      a += BigInt(row.length);
    }
    return out;
  }
}
