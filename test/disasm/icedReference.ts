// The independent reference for the disassembler: iced-x86's Intel formatter configured to the
// formatting choices documented in docs/cpu-testing.md.

import { repairIcedText } from './icedQuirks';
import { Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, MemorySizeOptions } from 'iced-x86';

export interface ReferenceInsn { length: number; text: string; valid: boolean }

export class IcedReference {
  private readonly formatter = new Formatter(FormatterSyntax.Intel);

  constructor() {
    const f = this.formatter;
    f.spaceAfterOperandSeparator = true;
    f.hexPrefix = '0x';
    f.hexSuffix = '';
    f.uppercaseHex = false;
    f.branchLeadingZeros = false;
    f.showBranchSize = false;
    f.memorySizeOptions = MemorySizeOptions.Always;
  }

  /** Decode and format the instruction at `bytes[offset]` located at `address`. */
  decodeAt(bytes: Uint8Array, offset: number, address: bigint, bitness: 64 | 32 = 64): ReferenceInsn {
    const slice = bytes.subarray(offset, Math.min(bytes.length, offset + 15));
    const decoder = new Decoder(bitness, slice, DecoderOptions.None);
    decoder.ip = address;
    const insn = decoder.decode();
    const result = { length: insn.length, text: repairIcedText(bytes, offset, this.formatter.format(insn)), valid: insn.code !== Code.INVALID };
    insn.free();
    decoder.free();
    return result;
  }

  free(): void { this.formatter.free(); }
}
