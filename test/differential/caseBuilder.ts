// Builds one differential case: its initial state (GPRs, RFLAGS, scratch window) and its machine
// code, encoding instructions from operands the forms choose. Memory operands always resolve
// inside the scratch window through base/index registers reserved for the whole case.

import { CODE_BASE, DATA_BASE, MEM_HI, MEM_LO, WINDOW } from './layout';
import type { Rng } from './rng';

export const RSP = 4, RBP = 5;
export type Size = 8 | 16 | 32 | 64;
export const SIZES: readonly Size[] = [8, 16, 32, 64];

/** A register or memory operand for the ModRM r/m field. For 8-bit sizes without REX, 4..7 are AH..BH. */
export type RmOperand = { kind: 'reg'; reg: number } | { kind: 'mem'; align?: number };

export interface DiffCase {
  code: Uint8Array;
  gpr: bigint[];
  rflags: number;
  window: Uint8Array;
  /** Names of the instruction forms in the case, in order. */
  forms: string[];
  /** Arithmetic flags the SDM leaves undefined at the end of the case (see flagEffects.ts). */
  undefinedFlags: number;
  /** Flags undefined after any instruction of the case (used when the case ends in an exception). */
  undefinedAnywhere: number;
}

const INTERESTING = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x7fff_ffffn,
  0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn];

/** Random 64-bit value biased towards the boundaries where flags change. */
export function interestingValue(rng: Rng): bigint {
  const r = rng.int(10);
  if (r < 4) return rng.u64();
  if (r < 6) return BigInt(rng.int(256));
  if (r < 8) return INTERESTING[rng.int(INTERESTING.length)];
  if (r < 9) return BigInt.asUintN(64, -BigInt(rng.int(256)));
  return BigInt.asUintN(64, INTERESTING[rng.int(INTERESTING.length)] + BigInt(rng.range(-2, 2)));
}

export class CaseBuilder {
  readonly gpr: bigint[] = [];
  rflags: number;
  readonly window: Uint8Array;
  readonly code: number[] = [];
  readonly forms: string[] = [];
  /** Byte range of each emitted instruction (a jcc form's span includes the instruction it skips). */
  readonly spans: [number, number][] = [];
  /** Registers no instruction may write: memory base/index and those a controlled form set up. */
  readonly reserved = new Set<number>();
  private base = -1;
  private index = -1;

  constructor(readonly rng: Rng, implicitWrites: ReadonlySet<number>, stack: boolean) {
    for (let i = 0; i < 16; i++) this.gpr.push(interestingValue(rng));
    // Arithmetic flags and DF at random; IF set as user mode always has it.
    this.rflags = 0x202 | (rng.u32() & 0x8d5) | (rng.bool(0.3) ? 0x400 : 0);
    this.window = rng.bytes(WINDOW);
    const candidates = [...Array(16).keys()].filter((r) => !implicitWrites.has(r) && (r !== RSP || !stack));
    this.base = rng.pick(candidates);
    this.gpr[this.base] = BigInt(DATA_BASE + 0x80 + rng.int(0x40));
    this.reserved.add(this.base);
    const indexCandidates = candidates.filter((r) => r !== this.base && r !== RSP);
    if (rng.bool(0.7) && indexCandidates.length > 0) {
      this.index = rng.pick(indexCandidates);
      this.gpr[this.index] = BigInt(rng.int(16));
      this.reserved.add(this.index);
    }
  }

  /** A register that may be written (not reserved). */
  writableReg(exclude: readonly number[] = []): number {
    for (;;) {
      const r = this.rng.int(16);
      if (!this.reserved.has(r) && !exclude.includes(r)) return r;
    }
  }

  anyReg(): number { return this.rng.int(16); }

  /** 8-bit register encoding that may be written, and whether it needs a REX prefix. */
  writableReg8(rex: boolean): number {
    for (;;) {
      const r = rex ? this.rng.int(16) : this.rng.int(8);
      const full = !rex && r >= 4 ? r - 4 : r;
      if (!this.reserved.has(full)) return r;
    }
  }

  /** The full 64-bit register an r/m or reg encoding names (AH..BH fold onto RAX..RBX). */
  static fullReg(reg: number, size: Size, rex: boolean): number {
    return size === 8 && !rex && reg >= 4 && reg < 8 ? reg - 4 : reg;
  }

  reserve(reg: number): void { this.reserved.add(reg); }
  get memBase(): number { return this.base; }

  /**
   * Encode one instruction with a ModRM byte. `reg` is the ModRM.reg value (register or /digit,
   * 0..15), `rm` the r/m operand, `imm` trailing immediate bytes. Returns the bytes it appended.
   */
  modrm(form: string, p: {
    prefixes?: number[]; w?: boolean; rex?: boolean; opcode: number[]; reg: number; rm: RmOperand;
    imm?: number[];
  }): { bytes: number[]; addr: number } {
    const start = this.code.length;
    let rexBits = (p.w ? 8 : 0) | ((p.reg & 8) ? 4 : 0);
    let modrmByte: number;
    const tail: number[] = [];
    let ripRelative = -1;
    let target = 0;
    if (p.rm.kind === 'reg') {
      rexBits |= (p.rm.reg & 8) ? 1 : 0;
      modrmByte = 0xc0 | ((p.reg & 7) << 3) | (p.rm.reg & 7);
    } else {
      const align = p.rm.align ?? 1;
      target = MEM_LO + this.rng.int(MEM_HI - MEM_LO);
      target -= target % align;
      let mode = this.rng.int(this.index >= 0 ? 8 : 5);
      // The displacement-free forms land wherever the registers point, which may be misaligned.
      if (align > 1 && (mode === 2 || mode === 5)) mode++;
      const base = BigInt.asIntN(64, this.gpr[this.base]);
      const r = (p.reg & 7) << 3;
      const disp = (d: number, bytes: number) => {
        for (let i = 0; i < bytes; i++) tail.push((d >> (8 * i)) & 0xff);
      };
      if (mode === 0) { // [rip + disp32]
        modrmByte = r | 5;
        ripRelative = tail.length;
        disp(0, 4);
      } else if (mode === 1) { // [disp32] through SIB with no base and no index
        modrmByte = r | 4;
        tail.push(0x25);
        disp(target, 4);
      } else if (mode <= 4) { // [base + disp0/8/32]
        rexBits |= (this.base & 8) ? 1 : 0;
        let d = target - Number(base);
        let mod = mode - 2; // 0: none, 1: disp8, 2: disp32
        if (mod === 1 && (d < -128 || d > 127)) mod = 2;
        if (mod === 0) d = 0;
        if (mod === 0 && ((this.base & 7) === 5)) mod = 1; // rbp/r13 take a zero disp8 instead
        modrmByte = (mod << 6) | r | ((this.base & 7) === 4 ? 4 : (this.base & 7));
        if ((this.base & 7) === 4) tail.push(0x24);
        if (mod === 1) disp(d, 1); else if (mod === 2) disp(d, 4);
        target = Number(base) + d;
      } else { // SIB with index: [base + index*scale + disp] or [index*scale + disp32]
        const scaleLog = this.rng.int(4);
        const idx = Number(BigInt.asIntN(64, this.gpr[this.index])) << scaleLog;
        rexBits |= (this.index & 8) ? 2 : 0;
        if (mode === 7) {
          modrmByte = r | 4;
          tail.push((scaleLog << 6) | ((this.index & 7) << 3) | 5);
          disp(target - idx, 4);
        } else {
          rexBits |= (this.base & 8) ? 1 : 0;
          let d = target - Number(base) - idx;
          let mod = d >= -128 && d <= 127 ? (this.rng.bool() ? 1 : 2) : 2;
          if (mode === 5 && (this.base & 7) !== 5) { mod = 0; d = 0; }
          modrmByte = (mod << 6) | r | 4;
          tail.push((scaleLog << 6) | ((this.index & 7) << 3) | (this.base & 7));
          if (mod === 1) disp(d, 1); else if (mod === 2) disp(d, 4);
          target = Number(base) + idx + d;
        }
      }
    }
    const bytes = [...(p.prefixes ?? [])];
    if (rexBits || p.rex) bytes.push(0x40 | rexBits);
    bytes.push(...p.opcode, modrmByte);
    const tailAt = bytes.length;
    bytes.push(...tail, ...(p.imm ?? []));
    if (ripRelative >= 0) {
      const next = CODE_BASE + start + bytes.length;
      const d = target - next;
      for (let i = 0; i < 4; i++) bytes[tailAt + ripRelative + i] = (d >> (8 * i)) & 0xff;
    }
    this.emit(form, bytes);
    return { bytes, addr: p.rm.kind === 'mem' ? target : -1 };
  }

  /** Append raw instruction bytes. */
  emit(form: string, bytes: number[]): number[] {
    this.spans.push([this.code.length, this.code.length + bytes.length]);
    this.code.push(...bytes);
    this.forms.push(form);
    return bytes;
  }

  /** Little-endian immediate of `bytes` bytes with a value biased towards boundaries. */
  imm(bytes: number): number[] {
    const v = interestingValue(this.rng);
    const out: number[] = [];
    for (let i = 0; i < bytes; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return out;
  }

  setReg(reg: number, value: bigint): void { this.gpr[reg] = BigInt.asUintN(64, value); }

  /** Write `value` little-endian into the window at linear address `addr`. */
  poke(addr: number, value: bigint, bytes: number): void {
    for (let i = 0; i < bytes; i++) this.window[addr - DATA_BASE + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }

  peek(addr: number, bytes: number): bigint {
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.window[addr - DATA_BASE + i]);
    return v;
  }

  build(undefinedFlags: number, undefinedAnywhere: number): DiffCase {
    return { code: Uint8Array.from(this.code), gpr: this.gpr, rflags: this.rflags, window: this.window, forms: this.forms, undefinedFlags, undefinedAnywhere };
  }
}
