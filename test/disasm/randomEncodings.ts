// Random valid encodings for the disassembler comparison: for a random opcode-table row, legal
// prefixes, REX, the row's opcode and ModRM constraints, then random bytes for SIB, displacement
// and immediates. Only what the decoder accepts is compared; prefixes that change no meaning
// for the row (HLE hints, REP on non-string instructions) are left out.

import { MandatoryPrefix, OPCODES, OpFlag, OpMap, type OpcodeEntry } from '../../emulator/decoder/opcodeTable';
import type { Rng } from '../differential/rng';

const MODRM_OPERAND = /(^|,)[EGMRSCD]/;

export function randomEncoding(rng: Rng, row: OpcodeEntry = OPCODES[rng.int(OPCODES.length)], mode64 = true): Uint8Array {
  const out: number[] = [];
  const hasModrm = MODRM_OPERAND.test(row.operands) || row.ext >= 0;
  const memForm = hasModrm && row.rm < 0 && !(row.flags & OpFlag.RegOnly) && ((row.flags & OpFlag.MemOnly) !== 0 || rng.bool());
  if (rng.bool(0.1)) out.push(rng.pick([0x64, 0x65]));
  if (rng.bool(0.2) && row.prefix === MandatoryPrefix.None) out.push(0x66);
  if (rng.bool(0.15)) out.push(0x67);
  if ((row.flags & OpFlag.Lockable) && memForm && rng.bool(0.3)) out.push(0xf0);
  if ((row.flags & OpFlag.Rep) && rng.bool(0.5)) out.push(rng.pick([0xf2, 0xf3]));
  if (row.prefix === MandatoryPrefix.P66) out.push(0x66);
  if (row.prefix === MandatoryPrefix.PF3) out.push(0xf3);
  if (row.prefix === MandatoryPrefix.PF2) out.push(0xf2);
  if (mode64 && rng.bool(0.5)) out.push(0x40 | rng.int(16));
  if (row.map !== OpMap.One) out.push(0x0f);
  if (row.map === OpMap.Three38) out.push(0x38);
  if (row.map === OpMap.Three3A) out.push(0x3a);
  out.push(row.opcode);
  if (hasModrm) {
    const mod = row.rm >= 0 || !memForm ? 3 : rng.int(3);
    const reg = row.ext >= 0 ? row.ext : rng.int(8);
    const rm = row.rm >= 0 ? row.rm : rng.int(8);
    out.push((mod << 6) | (reg << 3) | rm);
  }
  for (let i = 0; i < 10; i++) out.push(rng.int(256));
  return Uint8Array.from(out);
}
