// Where the comparison with iced-x86 must allow for a known difference. Encodings where our decoder is knowingly different from iced-x86 (and from the SDM), each
// reported to the decoder's owner in /tmp/team/cpu-bugs.md. The random comparison skips them;
// remove an entry once the decoder is fixed.

/** True when `bytes` starts with an encoding listed here. `icedText` is iced's rendering. */
export function knownDecoderDivergence(bytes: Uint8Array, icedText: string): boolean {
  const { opcode, map, prefixes } = opcodeOf(bytes);
  const p66 = prefixes.includes(0x66);
  if (map === 1) {
    // NP system instructions that iced rejects with a 66 prefix (vmcall.., vmread/vmwrite, vmptrst, clac/stac, fences).
    if (p66 && [0x01, 0x78, 0x79, 0xc7, 0xae].includes(opcode) && (icedText.startsWith('(bad)') || /^(extrq|tpause|clflushopt)/.test(icedText))) return true;
  }
  return false;
}

function opcodeOf(bytes: Uint8Array): { opcode: number; map: number; prefixes: number[]; at: number } {
  const prefixes: number[] = [];
  let p = 0;
  while (p < bytes.length && ([0xf0, 0xf2, 0xf3, 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(bytes[p]) || (bytes[p] & 0xf0) === 0x40)) prefixes.push(bytes[p++]);
  if (bytes[p] !== 0x0f) return { opcode: bytes[p], map: 0, prefixes, at: p };
  if (bytes[p + 1] === 0x38 || bytes[p + 1] === 0x3a) return { opcode: bytes[p + 2], map: bytes[p + 1] === 0x38 ? 2 : 3, prefixes, at: p + 2 };
  return { opcode: bytes[p + 1], map: 1, prefixes, at: p + 1 };
}

/**
 * iced-x86's JavaScript formatter prints `mov r64, imm64` (REX.W B8+r) as 0 whenever the low
 * 32 bits of the immediate are zero. Repair its text with the immediate read from the bytes.
 */
export function repairIcedText(bytes: Uint8Array, offset: number, icedText: string): string {
  const { opcode, map, prefixes, at } = opcodeOf(bytes.subarray(offset));
  const rex = prefixes.filter((b) => (b & 0xf0) === 0x40).pop() ?? 0;
  if (map !== 0 || (opcode & 0xf8) !== 0xb8 || !(rex & 8) || !icedText.endsWith(', 0')) return icedText;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + at + 1, 8);
  const imm = view.getBigUint64(0, true);
  return imm === 0n ? icedText : `${icedText.slice(0, -1)}0x${imm.toString(16)}`;
}
