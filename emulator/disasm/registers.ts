// Register names for the Intel-syntax disassembler, by operand size (SDM vol. 1 3.4.1, 3.7.2.1).

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const GPR8_REX = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil'];
const GPR8_LEGACY = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

/**
 * Name of GPR `reg` (0-15) at `size` bytes. Without a REX prefix, byte registers 4-7 are
 * AH, CH, DH, BH; with any REX prefix they are SPL, BPL, SIL, DIL (SDM 3.7.2.1).
 */
export function gprName(reg: number, size: number, rex: boolean): string {
  if (reg >= 8) return `r${reg}${size === 8 ? '' : size === 4 ? 'd' : size === 2 ? 'w' : 'b'}`;
  switch (size) {
    case 8: return GPR64[reg];
    case 4: return GPR32[reg];
    case 2: return GPR16[reg];
    default: return (rex ? GPR8_REX : GPR8_LEGACY)[reg];
  }
}
