// Architectural state of one x86-64 logical processor (Intel SDM vol. 1 ch. 3, vol. 3A ch. 2-3).
// Plain data: the interpreter (cpu/), the system layer and VMX (vmx/) all read and write it,
// and snapshot/restore copies it. No behaviour lives here beyond trivial derived values.

/** GPR indices in ModRM/REX order. */
export const enum Reg {
  RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}
export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** Segment register indices in the SDM's Sreg encoding order. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7 }
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

/**
 * A segment register's visible selector and hidden descriptor cache. `attrs` uses the
 * VMCS access-rights layout (SDM 25.4.1, Table 25-2) so VM entry/exit copy it unchanged:
 * bits 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable.
 */
export interface Segment { selector: number; base: bigint; limit: number; attrs: number }
/** Write `from`'s fields into the segment register `to` in place. */
export function loadSegment(to: Segment, from: Segment): void {
  to.selector = from.selector;
  to.base = from.base;
  to.limit = from.limit;
  to.attrs = from.attrs;
}
export const SEG_ATTR_UNUSABLE = 1 << 16;

export interface DescriptorTable { base: bigint; limit: number }

// RFLAGS bits (SDM vol. 1 3.4.3).
export const enum Flag {
  CF = 1 << 0, FIXED1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7,
  TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14,
  RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
}
export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

// Control-register bits used across the emulator (SDM vol. 3A 2.5).
export const enum Cr0 { PE = 1 << 0, MP = 1 << 1, EM = 1 << 2, TS = 1 << 3, ET = 1 << 4, NE = 1 << 5, WP = 1 << 16, AM = 1 << 18, NW = 1 << 29, CD = 1 << 30, PG = 0x80000000 }
export const enum Cr4 { VME = 1 << 0, PVI = 1 << 1, TSD = 1 << 2, DE = 1 << 3, PSE = 1 << 4, PAE = 1 << 5, MCE = 1 << 6, PGE = 1 << 7, PCE = 1 << 8, OSFXSR = 1 << 9, OSXMMEXCPT = 1 << 10, UMIP = 1 << 11, LA57 = 1 << 12, VMXE = 1 << 13, SMXE = 1 << 14, FSGSBASE = 1 << 16, PCIDE = 1 << 17, OSXSAVE = 1 << 18, SMEP = 1 << 20, SMAP = 1 << 21 }
export const enum Efer { SCE = 1 << 0, LME = 1 << 8, LMA = 1 << 10, NXE = 1 << 11 }

const RIP_CANONICAL = 2 ** 47;

export class CpuState {
  /** General-purpose registers, always held as unsigned 64-bit values. */
  readonly gpr = new BigUint64Array(16);
  /** The same registers as 32-bit halves, low then high: what the hot paths read and write without a bigint. */
  readonly gprHalves = new Uint32Array(this.gpr.buffer);
  /**
   * RIP of the instruction being executed (faults and VM exits report this one). Held as a
   * number (the canonical value as a signed integer) so the interpreter never builds a BigInt
   * per instruction; the bigint is made only when read.
   */
  get rip(): bigint {
    let b = this.ripBig;
    if (b === undefined) {
      const n = this.ripNumber;
      b = n >= 0 ? BigInt(n) : BigInt(n) + (1n << 64n);
      this.ripBig = b;
    }
    return b;
  }
  set rip(value: bigint) {
    const v = BigInt.asUintN(64, value);
    const n = Number(BigInt.asIntN(64, v));
    this.ripBig = v;
    this.ripNumber = n >= -RIP_CANONICAL && n < RIP_CANONICAL ? n : NaN; // NaN: not canonical, fetch faults
  }
  /** The interpreter's view of RIP: a signed number (NaN for a non-canonical value). */
  get ripNum(): number { return this.ripNumber; }
  setRipNum(n: number): void { this.ripNumber = n; this.ripBig = undefined; }
  private ripNumber = 0;
  private ripBig: bigint | undefined = 0n;
  /** RFLAGS; bit 1 always set. Read and written only through get/setRflags so the interpreter may keep flags lazily. */
  private rflagsValue = Flag.FIXED1 as number;

  /** Swapped whole at VM transitions (vmx/segmentBanks.ts): hold no reference to the array across instructions. */
  seg: Segment[] = Array.from({ length: 8 }, () => ({ selector: 0, base: 0n, limit: 0xffff, attrs: SEG_ATTR_UNUSABLE }));
  readonly gdtr: DescriptorTable = { base: 0n, limit: 0xffff };
  readonly idtr: DescriptorTable = { base: 0n, limit: 0xffff };

  cr0 = Cr0.ET as number;
  cr2 = 0n;
  cr3 = 0n;
  cr4 = 0;
  cr8 = 0;
  efer = 0;
  readonly dr = new BigUint64Array(8); // DR0-DR3, DR6 at [6], DR7 at [7]

  /**
   * The MSRs every VM entry and exit switch (SDM 27.3.2.1, 28.5.1), as fields like EFER: a
   * Map's lookups were ~9 % of a minimal VM exit + entry. IA32_DEBUGCTL is kept for VMX alone
   * (RDMSR/WRMSR do not implement it). PAT starts at its power-up value (SDM 13.12.4).
   */
  sysenterCs = 0n;
  sysenterEsp = 0n;
  sysenterEip = 0n;
  pat = 0x0007040600070406n;
  debugctl = 0n;
  /** MSRs without a dedicated field above (SDM vol. 4), keyed by MSR index. */
  readonly msr = new Map<number, bigint>();

  /** Time-stamp counter; deterministic (see devices/ and docs/platform.md). */
  tsc = 0n;
  /** Retired instruction count since reset. */
  icount = 0;
  /** True after HLT until an event wakes the processor. */
  halted = false;
  /** True once the processor entered shutdown (triple fault in VMX root or outside VMX). */
  shutdown = false;
  /** Interrupt shadow after STI / MOV SS / POP SS (SDM 6.8.3), in instructions remaining. */
  interruptShadow = 0;

  getRflags(): number { return this.rflagsValue; }
  setRflags(value: number): void { this.rflagsValue = (value | Flag.FIXED1) & 0x3f7fd7; }

  /** Current privilege level: CS.DPL in protected mode (SDM 5.5 says CPL = CS.RPL; they agree once CS is loaded). */
  get cpl(): number { return (this.seg[Seg.CS].attrs >> 5) & 3; }
  get longMode(): boolean { return (this.efer & Efer.LMA) !== 0; }
  /** 64-bit mode: IA-32e mode with CS.L = 1 (SDM 5.2.1). */
  get mode64(): boolean { return this.longMode && (this.seg[Seg.CS].attrs & (1 << 13)) !== 0; }
}
