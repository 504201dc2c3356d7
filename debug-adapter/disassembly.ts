// The disassemble request: instructions around a memory reference on the host or the guest
// side, with the source line each belongs to (VS Code's disassembly view interleaves them).

import type { DebugProtocol } from '@vscode/debugprotocol';
import { DecodedInsn, DecodeError, decode } from '../emulator/decoder/decoder';
import type { Debuggee } from './debuggee';
import type { Side } from './programSymbols';

const MAX_INSN = 15;

/** Intel-syntax text of one decoded instruction, when a formatter is available. */
export type InstructionFormatter = (insn: DecodedInsn, bytes: Uint8Array, address: bigint) => string;

function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

export class Disassembler {
  private readonly insn = new DecodedInsn();

  constructor(private readonly debuggee: Debuggee, private readonly format?: InstructionFormatter) {}

  /** One instruction at `address`: its length and text; unreadable memory gives length 1 and "??". */
  private one(side: Side, address: bigint): { length: number; bytes: Uint8Array; text: string } {
    const bytes = this.debuggee.memory(side).read(address, MAX_INSN);
    if (!bytes) return { length: 1, bytes: new Uint8Array(0), text: '??' };
    decode(this.insn, bytes, 0, bytes.length, true);
    if (this.insn.error !== DecodeError.None) {
      return { length: 1, bytes: bytes.subarray(0, 1), text: `(bad) .byte 0x${bytes[0].toString(16).padStart(2, '0')}` };
    }
    const own = bytes.subarray(0, this.insn.length);
    return { length: this.insn.length, bytes: own, text: this.format ? this.format(this.insn, own, address) : `.byte ${hexBytes(own)}` };
  }

  /**
   * `instructionCount` instructions starting `instructionOffset` instructions from the reference.
   * Going backwards x86 cannot be decoded exactly: we decode forward from an earlier point
   * (the containing function's start when known) and take the instructions that end before the reference.
   */
  disassemble(side: Side, base: bigint, instructionOffset: number, count: number): DebugProtocol.DisassembledInstruction[] {
    const symbols = this.debuggee.symbolsFor(side);
    let start = base;
    let skip = instructionOffset;
    if (instructionOffset < 0) {
      const fn = symbols.functionAt(base);
      let from = fn && base - fn.low < 4096n ? fn.low : base - BigInt(-instructionOffset * MAX_INSN);
      const before: bigint[] = [];
      for (let a = from; a < base;) {
        before.push(a);
        a += BigInt(this.one(side, a).length);
      }
      const need = -instructionOffset;
      if (before.length >= need) {
        start = before[before.length - need];
        skip = 0;
      } else {
        start = before[0] ?? base;
        from = start;
        skip = 0;
        // Not enough instructions before: pad with placeholders so the count still matches.
        const pad = need - before.length;
        const out: DebugProtocol.DisassembledInstruction[] = Array.from({ length: Math.min(pad, count) }, (_, i) => ({
          address: `0x${(from - BigInt(pad - i)).toString(16)}`, instruction: '??', presentationHint: 'invalid' as const,
        }));
        return [...out, ...this.forward(side, start, count - out.length)];
      }
    }
    for (; skip > 0; skip--) start += BigInt(this.one(side, start).length);
    return this.forward(side, start, count);
  }

  private forward(side: Side, start: bigint, count: number): DebugProtocol.DisassembledInstruction[] {
    const symbols = this.debuggee.symbolsFor(side);
    const out: DebugProtocol.DisassembledInstruction[] = [];
    let lastLine = '';
    for (let a = start, i = 0; i < count; i++) {
      const { length, bytes, text } = this.one(side, a);
      const fn = symbols.functionAt(a);
      const line = symbols.addressToLine(a);
      const key = line ? `${line.path}:${line.line}` : '';
      const insn: DebugProtocol.DisassembledInstruction = {
        address: `0x${a.toString(16)}`,
        instructionBytes: hexBytes(bytes),
        instruction: text,
        symbol: fn && fn.low === a ? fn.name : undefined,
      };
      if (line && key !== lastLine) {
        insn.location = { path: line.path, name: line.path.split('/').pop() };
        insn.line = line.line;
      }
      lastLine = key;
      out.push(insn);
      a += BigInt(length);
    }
    return out;
  }
}
