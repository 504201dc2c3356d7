// The disassemble request: Intel-syntax instructions (emulator/disasm) around a memory
// reference on the host or the guest side, with the source line each belongs to so VS Code's
// disassembly view can interleave them, and branch targets named by the side's symbols.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { disassembleOne, Field, type DisasmLine } from '../emulator/api';
import type { Debuggee } from './debuggee';
import type { Side } from './programSymbols';

const MAX_INSN = 15;
const CS_L = 1n << 13n; // access rights: 64-bit code segment (SDM vol. 3C 25.4.1)

function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

export class Disassembler {
  /** Addresses shown in the disassembly view, by side: a plain instruction reference from there belongs to that side. */
  private readonly shown = new Map<bigint, Set<Side>>();

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

  private one(side: Side, address: bigint): { line: DisasmLine; bytes: Uint8Array } {
    const bytes = this.debuggee.memory(side).read(address, MAX_INSN);
    if (!bytes) return { line: { address, length: 1, text: '??', valid: false }, bytes: new Uint8Array(0) };
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

  /**
   * `count` instructions starting `instructionOffset` instructions from `base`. x86 cannot be
   * decoded backwards, so earlier instructions are found by decoding forward from the start of
   * the containing function (or from far enough before), keeping those that end at `base`.
   */
  disassemble(side: Side, base: bigint, instructionOffset: number, count: number): DebugProtocol.DisassembledInstruction[] {
    let start = base;
    if (instructionOffset < 0) {
      const need = -instructionOffset;
      const fn = this.debuggee.symbolsFor(side).functionAt(base);
      const from = fn && base - fn.low < 0x10000n ? fn.low : base - BigInt(need * MAX_INSN);
      const before: bigint[] = [];
      for (let a = from; a < base; a += BigInt(this.one(side, a).line.length)) before.push(a);
      if (before.length >= need) start = before[before.length - need];
      else {
        // Not enough instructions before: invalid placeholders keep the count exact.
        const pad = need - before.length;
        const first = before[0] ?? base;
        const placeholders = Array.from({ length: Math.min(pad, count) }, (_, i): DebugProtocol.DisassembledInstruction => ({
          address: `0x${(first - BigInt(pad - i)).toString(16)}`, instruction: '??', presentationHint: 'invalid',
        }));
        return [...placeholders, ...this.forward(side, first, count - placeholders.length)];
      }
    } else {
      for (let skip = instructionOffset; skip > 0; skip--) start += BigInt(this.one(side, start).line.length);
    }
    return this.forward(side, start, count);
  }

  private forward(side: Side, start: bigint, count: number): DebugProtocol.DisassembledInstruction[] {
    const symbols = this.debuggee.symbolsFor(side);
    const out: DebugProtocol.DisassembledInstruction[] = [];
    let lastLine = '';
    for (let a = start, i = 0; i < count; i++) {
      const { line, bytes } = this.one(side, a);
      if (!this.shown.has(a)) this.shown.set(a, new Set());
      this.shown.get(a)!.add(side);
      const fn = symbols.functionAt(a);
      const source = symbols.addressToLine(a);
      const key = source ? `${source.path}:${source.line}` : '';
      out.push({
        address: `0x${a.toString(16)}`,
        instructionBytes: hexBytes(bytes),
        instruction: line.text,
        symbol: fn && fn.low === a ? fn.name : undefined,
        presentationHint: line.valid ? undefined : 'invalid',
        ...(source && key !== lastLine ? { location: { path: source.path, name: source.path.split('/').pop() }, line: source.line } : {}),
      });
      lastLine = key;
      a += BigInt(line.length);
    }
    return out;
  }
}
