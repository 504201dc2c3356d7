// Known bugs of the reference (iced-x86's JavaScript build) and their repair, so the comparison
// with our disassembler stays exact.

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
