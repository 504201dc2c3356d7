// Fixed linear addresses shared by the native runner (native/runner.c) and the emulator side,
// so RIP-relative operands, pushed return addresses and pointer registers agree bit for bit.

export const CODE_BASE = 0x2000_0000;
export const DATA_BASE = 0x1000_0000;
/** Bytes of scratch memory at DATA_BASE that every case may read and write and that both sides compare. */
export const WINDOW = 512;
/** Stack pointer region inside the window for cases that push and pop. */
export const STACK_TOP_MIN = DATA_BASE + 0x180;
export const STACK_TOP_MAX = DATA_BASE + 0x1f0;
/** Memory operands land in [MEM_LO, MEM_HI) so 16-byte accesses stay inside the window. */
export const MEM_LO = DATA_BASE + 0x20;
export const MEM_HI = DATA_BASE + 0x160;
/** Longest code of one case (the runner's code page holds it plus a 7-byte return jump). */
export const MAX_CODE = 3072;
