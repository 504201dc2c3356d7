// The instruction forms the differential test covers: every general-purpose integer form the
// interpreter implements (ALU, shifts, multiply/divide, bit ops, cmov/setcc/jcc, exchange,
// string, stack, conversions). Each form encodes one instance with random operands into a
// CaseBuilder; "controlled" forms also set the initial state they need (divisors that do not
// always fault, string pointers inside the window, a stack) and therefore run first in a case.

import { CaseBuilder, RSP, RBP, SIZES, type RmOperand, type Size } from './caseBuilder';
import { HOST_IS_AMD } from './hostVendor';
import { CODE_BASE, DATA_BASE, STACK_TOP_MAX, STACK_TOP_MIN } from './layout';

export interface Form {
  name: string;
  /** Sets up initial state, so it must be the first instruction and the only controlled one. */
  controlled?: boolean;
  /** Uses RSP as a stack pointer inside the window. */
  stack?: boolean;
  /** Registers used implicitly; they never serve as memory base/index. */
  implicit?: number[];
  emit(b: CaseBuilder): void;
}

const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSI = 6, RDI = 7;
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar']; // /6 is SAL, an alias of SHL (SDM Table A-6)
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const LOCK = 0xf0;

type Kind = 'r' | 'm';
const KINDS: readonly Kind[] = ['r', 'm'];

function sizeBits(size: Size): { prefixes: number[]; w: boolean } {
  return { prefixes: size === 16 ? [0x66] : [], w: size === 64 };
}

/** Immediate bytes for an operand of this size (imm32 for 64-bit, sign-extended by the CPU). */
function immBytes(size: Size): number { return size === 8 ? 1 : size === 16 ? 2 : 4; }

function le(value: bigint | number, bytes: number): number[] {
  const v = BigInt.asUintN(64, BigInt(value));
  return Array.from({ length: bytes }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

/** ModRM.reg and r/m operands; `destReg`/`destRm` say which one the instruction writes. */
function operands(b: CaseBuilder, size: Size, kind: Kind, destReg: boolean, destRm: boolean): { reg: number; rm: RmOperand; rex: boolean } {
  const rex = size === 8 && b.rng.bool();
  const pick = (writable: boolean) => size === 8
    ? (writable ? b.writableReg8(rex) : b.rng.int(rex ? 16 : 8))
    : (writable ? b.writableReg() : b.anyReg());
  const reg = pick(destReg);
  const rm: RmOperand = kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: pick(destRm) };
  return { reg, rm, rex };
}

function lockIf(kind: Kind, b: CaseBuilder, allowed = true): number[] {
  return kind === 'm' && allowed && b.rng.bool(0.3) ? [LOCK] : [];
}

/** Value of an operand as the instruction will read it (register, high-byte register or window memory). */
function operandValue(b: CaseBuilder, size: Size, rex: boolean, rm: RmOperand, addr: number): bigint {
  if (rm.kind === 'mem') return b.peek(addr, size / 8);
  return regValue(b, size, rex, rm.reg);
}

function regValue(b: CaseBuilder, size: Size, rex: boolean, reg: number): bigint {
  const full = CaseBuilder.fullReg(reg, size, rex);
  const shift = full !== reg ? 8n : 0n;
  return BigInt.asUintN(size, b.gpr[full] >> shift);
}

function setRegPart(b: CaseBuilder, reg: number, size: Size, value: bigint, shift = 0n): void {
  const mask = ((1n << BigInt(size)) - 1n) << shift;
  b.setReg(reg, (b.gpr[reg] & ~mask) | ((BigInt.asUintN(size, value) << shift) & mask));
}

function setOperand(b: CaseBuilder, size: Size, rex: boolean, rm: RmOperand, addr: number, value: bigint): void {
  if (rm.kind === 'mem') { b.poke(addr, value, size / 8); return; }
  const full = CaseBuilder.fullReg(rm.reg, size, rex);
  setRegPart(b, full, size, value, full !== rm.reg ? 8n : 0n);
}

function aluForms(): Form[] {
  const forms: Form[] = [];
  ALU.forEach((op, k) => {
    const writes = op !== 'cmp';
    for (const size of SIZES) {
      const s = sizeBits(size);
      const full = size === 8 ? 0 : 1;
      for (const kind of KINDS) {
        const lock = (b: CaseBuilder) => lockIf(kind, b, writes);
        const n1 = `${op} r/m${size}, r${size} (${kind})`, n2 = `${op} r${size}, r/m${size} (${kind})`;
        const n3 = `${op} r/m${size}, imm${size === 64 ? 32 : size} (${kind})`, n4 = `${op} r/m${size}, imm8 (${kind})`;
        forms.push({ name: n1, emit: (b) => {
          const o = operands(b, size, kind, false, writes);
          b.modrm(n1, { prefixes: [...lock(b), ...s.prefixes], w: s.w, rex: o.rex, opcode: [8 * k + full], reg: o.reg, rm: o.rm });
        } });
        forms.push({ name: n2, emit: (b) => {
          const o = operands(b, size, kind, writes, false);
          b.modrm(n2, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [8 * k + 2 + full], reg: o.reg, rm: o.rm });
        } });
        forms.push({ name: n3, emit: (b) => {
          const o = operands(b, size, kind, false, writes);
          b.modrm(n3, { prefixes: [...lock(b), ...s.prefixes], w: s.w, rex: o.rex, opcode: [size === 8 ? 0x80 : 0x81], reg: k, rm: o.rm, imm: b.imm(immBytes(size)) });
        } });
        if (size !== 8) {
          forms.push({ name: n4, emit: (b) => {
            const o = operands(b, size, kind, false, writes);
            b.modrm(n4, { prefixes: [...lock(b), ...s.prefixes], w: s.w, opcode: [0x83], reg: k, rm: o.rm, imm: b.imm(1) });
          } });
        }
      }
      forms.push({ name: `${op} acc${size}, imm`, implicit: [RAX], emit: (b) => {
        if (writes && b.reserved.has(RAX)) return;
        b.emit(`${op} acc${size}, imm`, [...s.prefixes, ...(s.w ? [0x48] : []), 8 * k + 4 + full, ...b.imm(immBytes(size))]);
      } });
    }
  });
  return forms;
}

function unaryForms(): Form[] {
  const forms: Form[] = [];
  const ops: [string, number, number, number][] = [ // name, opcode8, opcode, /digit
    ['inc', 0xfe, 0xff, 0], ['dec', 0xfe, 0xff, 1], ['not', 0xf6, 0xf7, 2], ['neg', 0xf6, 0xf7, 3]];
  for (const [op, op8, opf, digit] of ops) {
    for (const size of SIZES) for (const kind of KINDS) {
      const name = `${op} r/m${size} (${kind})`;
      forms.push({ name, emit: (b) => {
        const s = sizeBits(size); const o = operands(b, size, kind, false, true);
        b.modrm(name, { prefixes: [...lockIf(kind, b), ...s.prefixes], w: s.w, rex: o.rex, opcode: [size === 8 ? op8 : opf], reg: digit, rm: o.rm });
      } });
    }
  }
  for (const size of SIZES) for (const kind of KINDS) {
    const name = `test r/m${size}, r${size} (${kind})`;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size); const o = operands(b, size, kind, false, false);
      b.modrm(name, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [size === 8 ? 0x84 : 0x85], reg: o.reg, rm: o.rm });
    } });
    const nameI = `test r/m${size}, imm (${kind})`;
    forms.push({ name: nameI, emit: (b) => {
      const s = sizeBits(size); const o = operands(b, size, kind, false, false);
      b.modrm(nameI, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [size === 8 ? 0xf6 : 0xf7], reg: 0, rm: o.rm, imm: b.imm(immBytes(size)) });
    } });
  }
  for (const size of SIZES) {
    const s = sizeBits(size);
    forms.push({ name: `test acc${size}, imm`, emit: (b) => b.emit(`test acc${size}, imm`, [...s.prefixes, ...(s.w ? [0x48] : []), size === 8 ? 0xa8 : 0xa9, ...b.imm(immBytes(size))]) });
  }
  return forms;
}

function movForms(): Form[] {
  const forms: Form[] = [];
  for (const size of SIZES) {
    const s = sizeBits(size); const full = size === 8 ? 0 : 1;
    for (const kind of KINDS) {
      const n1 = `mov r/m${size}, r${size} (${kind})`, n2 = `mov r${size}, r/m${size} (${kind})`, n3 = `mov r/m${size}, imm (${kind})`;
      forms.push({ name: n1, emit: (b) => { const o = operands(b, size, kind, false, true); b.modrm(n1, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [0x88 + full], reg: o.reg, rm: o.rm }); } });
      forms.push({ name: n2, emit: (b) => { const o = operands(b, size, kind, true, false); b.modrm(n2, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [0x8a + full], reg: o.reg, rm: o.rm }); } });
      forms.push({ name: n3, emit: (b) => { const o = operands(b, size, kind, false, true); b.modrm(n3, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [0xc6 + full], reg: 0, rm: o.rm, imm: b.imm(immBytes(size)) }); } });
    }
    const n4 = `mov r${size}, imm${size} (B0/B8+r)`;
    forms.push({ name: n4, emit: (b) => {
      const rex = size === 8 && b.rng.bool();
      const r = size === 8 ? b.writableReg8(rex) : b.writableReg();
      const rexBits = (s.w ? 8 : 0) | (r & 8 ? 1 : 0);
      b.emit(n4, [...s.prefixes, ...(rexBits || rex ? [0x40 | rexBits] : []), (size === 8 ? 0xb0 : 0xb8) + (r & 7), ...b.imm(size / 8)]);
    } });
    for (const store of [false, true]) {
      const n5 = `mov ${store ? `moffs${size}, acc` : `acc${size}, moffs`}`;
      forms.push({ name: n5, implicit: [RAX], emit: (b) => {
        if (!store && b.reserved.has(RAX)) return;
        const addr = DATA_BASE + 0x20 + b.rng.int(0x140);
        b.emit(n5, [...s.prefixes, ...(s.w ? [0x48] : []), (store ? 0xa2 : 0xa0) + full, ...le(addr, 8)]);
      } });
    }
  }
  const ext: [string, number, Size, Size[]][] = [['movzx', 0xb6, 8, [16, 32, 64]], ['movzx', 0xb7, 16, [32, 64]],
    ['movsx', 0xbe, 8, [16, 32, 64]], ['movsx', 0xbf, 16, [32, 64]]];
  for (const [op, opc, from, tos] of ext) for (const to of tos) for (const kind of KINDS) {
    const name = `${op} r${to}, r/m${from} (${kind})`;
    forms.push({ name, emit: (b) => {
      const rex = from === 8 && b.rng.bool();
      const reg = b.writableReg(); const s = sizeBits(to);
      // With a REX prefix (needed for r8-r15 or W) an 8-bit r/m 4..7 is SPL..DIL, never AH..BH.
      const anyRex = rex || s.w || reg >= 8;
      const rm: RmOperand = kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: b.rng.int(anyRex || from !== 8 ? 16 : 8) };
      b.modrm(name, { prefixes: s.prefixes, w: s.w, rex, opcode: [0x0f, opc], reg, rm });
    } });
  }
  for (const kind of KINDS) {
    const name = `movsxd r64, r/m32 (${kind})`;
    forms.push({ name, emit: (b) => { const o = operands(b, 64, kind, true, false); b.modrm(name, { w: true, opcode: [0x63], reg: o.reg, rm: o.rm }); } });
  }
  return forms;
}

function exchangeForms(): Form[] {
  const forms: Form[] = [];
  for (const size of SIZES) {
    const s = sizeBits(size); const full = size === 8 ? 0 : 1;
    for (const kind of KINDS) {
      const nx = `xchg r/m${size}, r${size} (${kind})`;
      forms.push({ name: nx, emit: (b) => { const o = operands(b, size, kind, true, true); b.modrm(nx, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [0x86 + full], reg: o.reg, rm: o.rm }); } });
      const na = `xadd r/m${size}, r${size} (${kind})`;
      forms.push({ name: na, emit: (b) => { const o = operands(b, size, kind, true, true); b.modrm(na, { prefixes: [...lockIf(kind, b), ...s.prefixes], w: s.w, rex: o.rex, opcode: [0x0f, 0xc0 + full], reg: o.reg, rm: o.rm }); } });
      const nc = `cmpxchg r/m${size}, r${size} (${kind})`;
      forms.push({ name: nc, controlled: true, implicit: [RAX], emit: (b) => {
        const o = operands(b, size, kind, false, true);
        const { addr } = b.modrm(nc, { prefixes: [...lockIf(kind, b), ...s.prefixes], w: s.w, rex: o.rex, opcode: [0x0f, 0xb0 + full], reg: o.reg, rm: o.rm });
        if (b.rng.bool()) setRegPart(b, RAX, size, operandValue(b, size, o.rex, o.rm, addr)); // the equal (store) path
      } });
    }
    if (size !== 8) {
      const n = `xchg r${size}, acc (90+r)`;
      forms.push({ name: n, implicit: [RAX], emit: (b) => {
        const r = b.writableReg([RAX]);
        b.emit(n, [...s.prefixes, ...((s.w || r >= 8) ? [0x40 | (s.w ? 8 : 0) | (r >> 3)] : []), 0x90 + (r & 7)]);
      } });
    }
  }
  for (const w of [false, true]) {
    const name = w ? 'cmpxchg16b m128' : 'cmpxchg8b m64';
    forms.push({ name, controlled: true, implicit: [RAX, RDX, RBX, RCX], emit: (b) => {
      const misaligned = w && b.rng.bool(0.1); // #GP(0) unless 16-byte aligned (SDM CMPXCHG16B)
      const { addr } = b.modrm(name, { prefixes: b.rng.bool(0.5) ? [LOCK] : [], w, opcode: [0x0f, 0xc7], reg: 1, rm: { kind: 'mem', align: w ? (misaligned ? 1 : 16) : 1 } });
      if (b.rng.bool()) {
        const half = w ? 8 : 4;
        setRegPart(b, RAX, (half * 8) as Size, b.peek(addr, half));
        setRegPart(b, RDX, (half * 8) as Size, b.peek(addr + half, half));
      }
    } });
  }
  return forms;
}

function mulDivForms(): Form[] {
  const forms: Form[] = [];
  const ops = ['mul', 'imul', 'div', 'idiv'];
  ops.forEach((op, i) => {
    const digit = 4 + i; const div = i >= 2; const signed = i % 2 === 1;
    for (const size of SIZES) for (const kind of KINDS) {
      const name = `${op} r/m${size} (${kind})`;
      forms.push({ name, controlled: div, implicit: [RAX, RDX], emit: (b) => {
        const s = sizeBits(size);
        const rex = size === 8 && b.rng.bool();
        const rm: RmOperand = kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: b.rng.int(rex || size !== 8 ? 16 : 8) };
        const { addr } = b.modrm(name, { prefixes: s.prefixes, w: s.w, rex, opcode: [size === 8 ? 0xf6 : 0xf7], reg: digit, rm });
        if (div) guardDivide(b, size, signed, rex, rm, addr);
      } });
    }
  });
  for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) {
    const s = sizeBits(size);
    const n1 = `imul r${size}, r/m${size} (${kind})`, n2 = `imul r${size}, r/m${size}, imm (${kind})`, n3 = `imul r${size}, r/m${size}, imm8 (${kind})`;
    forms.push({ name: n1, emit: (b) => { const o = operands(b, size, kind, true, false); b.modrm(n1, { prefixes: s.prefixes, w: s.w, opcode: [0x0f, 0xaf], reg: o.reg, rm: o.rm }); } });
    forms.push({ name: n2, emit: (b) => { const o = operands(b, size, kind, true, false); b.modrm(n2, { prefixes: s.prefixes, w: s.w, opcode: [0x69], reg: o.reg, rm: o.rm, imm: b.imm(immBytes(size)) }); } });
    forms.push({ name: n3, emit: (b) => { const o = operands(b, size, kind, true, false); b.modrm(n3, { prefixes: s.prefixes, w: s.w, opcode: [0x6b], reg: o.reg, rm: o.rm, imm: b.imm(1) }); } });
  }
  return forms;
}

/**
 * Most divisions get a dividend whose quotient fits (as compilers arrange with xor edx,edx or
 * cqo); one in eight keeps random state, which mostly raises #DE and tests its delivery.
 */
function guardDivide(b: CaseBuilder, size: Size, signed: boolean, rex: boolean, rm: RmOperand, addr: number): void {
  if (b.rng.bool(0.125)) return;
  const bits = BigInt(size);
  let divisor = operandValue(b, size, rex, rm, addr);
  const divisorIsAcc = rm.kind === 'reg' && [RAX, RDX].includes(CaseBuilder.fullReg(rm.reg, size, rex));
  if (divisor === 0n && !divisorIsAcc && !(rm.kind === 'reg' && b.reserved.has(CaseBuilder.fullReg(rm.reg, size, rex)))) {
    divisor = BigInt(1 + b.rng.int(1000));
    setOperand(b, size, rex, rm, addr, divisor);
  }
  if (divisorIsAcc) return;
  const low = size === 8 ? BigInt.asUintN(8, b.gpr[RAX]) : BigInt.asUintN(size, b.gpr[RAX]);
  let high: bigint;
  if (signed) high = BigInt.asIntN(size, low) < 0n ? (1n << bits) - 1n : 0n; // sign extension
  else high = divisor === 0n ? 0n : BigInt.asUintN(size, b.rng.u64()) % divisor;
  if (size === 8) setRegPart(b, RAX, 8, high, 8n); else setRegPart(b, RDX, size, high);
}

function shiftForms(): Form[] {
  const forms: Form[] = [];
  SHIFTS.forEach((op, digit) => {
    if (!op) return;
    for (const size of SIZES) for (const kind of KINDS) {
      const s = sizeBits(size); const full = size === 8 ? 0 : 1;
      for (const count of ['1', 'imm8', 'cl'] as const) {
        const name = `${op} r/m${size}, ${count} (${kind})`;
        forms.push({ name, implicit: count === 'cl' ? [RCX] : [], emit: (b) => {
          const o = operands(b, size, kind, false, true);
          const opcode = count === '1' ? 0xd0 : count === 'cl' ? 0xd2 : 0xc0;
          const imm = count === 'imm8' ? [b.rng.bool() ? b.rng.int(size + 2) : b.rng.int(256)] : [];
          b.modrm(name, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [opcode + full], reg: digit, rm: o.rm, imm });
        } });
      }
    }
  });
  for (const [op, base] of [['shld', 0xa4], ['shrd', 0xac]] as const) {
    for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) for (const count of ['imm8', 'cl'] as const) {
      const name = `${op} r/m${size}, r${size}, ${count} (${kind})`;
      // A 16-bit operand shifted by 17-31 has an undefined result (SDM SHLD/SHRD), so 16-bit
      // forms keep counts in 0..16 (plus high bits the CPU masks off) and set CL themselves.
      const own = size === 16 && count === 'cl';
      forms.push({ name, controlled: own, implicit: count === 'cl' ? [RCX] : [], emit: (b) => {
        const s = sizeBits(size); const o = operands(b, size, kind, false, true);
        const small = () => b.rng.int(17) | (b.rng.bool() ? 0x20 * b.rng.int(8) : 0);
        const imm = count === 'imm8' ? [size === 16 ? small() : b.rng.bool() ? b.rng.int(size + 1) : b.rng.int(256)] : [];
        if (own) setRegPart(b, RCX, 8, BigInt(small()));
        b.modrm(name, { prefixes: s.prefixes, w: s.w, opcode: [0x0f, base + (count === 'cl' ? 1 : 0)], reg: o.reg, rm: o.rm, imm });
      } });
    }
  }
  return forms;
}

function bitForms(): Form[] {
  const forms: Form[] = [];
  ['bt', 'bts', 'btr', 'btc'].forEach((op, i) => {
    for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) {
      const s = sizeBits(size);
      const name = `${op} r/m${size}, r${size} (${kind})`;
      // A register bit offset reaches memory outside the operand (SDM BT: bit base + offset), so memory forms pick it.
      forms.push({ name, controlled: kind === 'm', emit: (b) => {
        const reg = kind === 'm' ? b.writableReg() : b.anyReg();
        const rm: RmOperand = kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: i === 0 ? b.anyReg() : b.writableReg() };
        if (kind === 'm') b.setReg(reg, BigInt(b.rng.range(-0x18 * 8, 0x18 * 8)));
        b.modrm(name, { prefixes: [...lockIf(kind, b, i > 0), ...s.prefixes], w: s.w, opcode: [0x0f, 0xa3 + 8 * i], reg, rm });
      } });
      const nameI = `${op} r/m${size}, imm8 (${kind})`;
      forms.push({ name: nameI, emit: (b) => {
        const o = operands(b, size, kind, false, i > 0);
        b.modrm(nameI, { prefixes: [...lockIf(kind, b, i > 0), ...s.prefixes], w: s.w, opcode: [0x0f, 0xba], reg: 4 + i, rm: o.rm, imm: [b.rng.int(256)] });
      } });
    }
  });
  const scans: [string, number[], number][] = [['bsf', [], 0xbc], ['bsr', [], 0xbd], ['tzcnt', [0xf3], 0xbc], ['lzcnt', [0xf3], 0xbd], ['popcnt', [0xf3], 0xb8]];
  for (const [op, rep, opc] of scans) for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) {
    const name = `${op} r${size}, r/m${size} (${kind})`;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size); const o = operands(b, size, kind, true, false);
      b.modrm(name, { prefixes: [...s.prefixes, ...rep], w: s.w, opcode: [0x0f, opc], reg: o.reg, rm: o.rm });
    } });
  }
  for (const size of [32, 64] as Size[]) {
    const name = `bswap r${size}`;
    forms.push({ name, emit: (b) => {
      const r = b.writableReg();
      const rexBits = (size === 64 ? 8 : 0) | (r >> 3);
      b.emit(name, [...(rexBits ? [0x40 | rexBits] : []), 0x0f, 0xc8 + (r & 7)]);
    } });
  }
  return forms;
}

function conditionForms(): Form[] {
  const forms: Form[] = [];
  CC.forEach((cc, i) => {
    for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) {
      const name = `cmov${cc} r${size}, r/m${size} (${kind})`;
      forms.push({ name, emit: (b) => {
        const s = sizeBits(size); const o = operands(b, size, kind, true, false);
        b.modrm(name, { prefixes: s.prefixes, w: s.w, opcode: [0x0f, 0x40 + i], reg: o.reg, rm: o.rm });
      } });
    }
    for (const kind of KINDS) {
      const name = `set${cc} r/m8 (${kind})`;
      forms.push({ name, emit: (b) => { const o = operands(b, 8, kind, false, true); b.modrm(name, { rex: o.rex, opcode: [0x0f, 0x90 + i], reg: 0, rm: o.rm }); } });
    }
    for (const near of [false, true]) {
      const name = `j${cc} rel${near ? 32 : 8}`;
      forms.push({ name, emit: (b) => jumpOver(b, name, near ? [0x0f, 0x80 + i] : [0x70 + i], near) });
    }
  });
  forms.push({ name: 'jmp rel8', emit: (b) => jumpOver(b, 'jmp rel8', [0xeb], false) });
  forms.push({ name: 'jmp rel32', emit: (b) => jumpOver(b, 'jmp rel32', [0xe9], true) });
  return forms;
}

/** A forward branch over one register-to-register ALU instruction (taken or not, the case continues). */
function jumpOver(b: CaseBuilder, name: string, opcode: number[], near: boolean): void {
  const r = b.writableReg();
  const body = [0x48 | (r >> 3), b.rng.pick([0x01, 0x29, 0x31, 0x21]), 0xc0 | (r & 7) | (b.rng.int(8) << 3)];
  b.emit(name, [...opcode, ...le(body.length, near ? 4 : 1), ...body]);
}

function miscForms(): Form[] {
  const forms: Form[] = [];
  const simple: [string, number[], number[]][] = [ // name, bytes, implicit
    ['cbw', [0x66, 0x98], [RAX]], ['cwde', [0x98], [RAX]], ['cdqe', [0x48, 0x98], [RAX]],
    ['cwd', [0x66, 0x99], [RDX]], ['cdq', [0x99], [RDX]], ['cqo', [0x48, 0x99], [RDX]],
    ['lahf', [0x9f], [RAX]], ['sahf', [0x9e], []], ['clc', [0xf8], []], ['stc', [0xf9], []], ['cmc', [0xf5], []],
    ['cld', [0xfc], []], ['std', [0xfd], []], ['nop', [0x90], []], ['pause', [0xf3, 0x90], []],
    ['xchg ax, ax (66 90)', [0x66, 0x90], []], ['endbr64', [0xf3, 0x0f, 0x1e, 0xfa], []],
  ];
  for (const [name, bytes, implicit] of simple) {
    forms.push({ name, implicit, emit: (b) => { if (!implicit.some((r) => b.reserved.has(r))) b.emit(name, bytes); } });
  }
  for (const size of [16, 32, 64] as Size[]) for (const addr32 of [false, true]) {
    const name = `lea r${size}, m (a${addr32 ? 32 : 64})`;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size);
      b.modrm(name, { prefixes: [...s.prefixes, ...(addr32 ? [0x67] : [])], w: s.w, opcode: [0x8d], reg: b.writableReg(), rm: { kind: 'mem' } });
    } });
  }
  forms.push({ name: 'nop r/m32 (0F 1F)', emit: (b) => b.modrm('nop r/m32 (0F 1F)', { prefixes: b.rng.pick([[], [0x66], [0x66, 0x2e]]), opcode: [0x0f, 0x1f], reg: 0, rm: { kind: 'mem' } }) });
  forms.push({ name: 'xlat', controlled: true, implicit: [RAX, RBX], emit: (b) => {
    b.setReg(RBX, BigInt(DATA_BASE + b.rng.int(0x100)));
    b.emit('xlat', [0xd7]);
  } });
  return forms;
}

function stringForms(): Form[] {
  const forms: Form[] = [];
  const ops: [string, number, number[]][] = [['movs', 0xa4, [0xf3]], ['stos', 0xaa, [0xf3]], ['lods', 0xac, [0xf3]],
    ['cmps', 0xa6, [0xf3, 0xf2]], ['scas', 0xae, [0xf3, 0xf2]]];
  for (const [op, opc, reps] of ops) for (const size of SIZES) for (const rep of [0, ...reps]) {
    const name = `${rep === 0xf3 ? (reps.length > 1 ? 'repe ' : 'rep ') : rep === 0xf2 ? 'repne ' : ''}${op}${'bwdq'[Math.log2(size) - 3]}`;
    forms.push({ name, controlled: true, implicit: [RAX, RCX, RSI, RDI], emit: (b) => {
      const s = sizeBits(size);
      const bytes = size / 8;
      const addr32 = b.rng.bool(0.15);
      const down = b.rng.bool(0.5);
      b.rflags = down ? b.rflags | 0x400 : b.rflags & ~0x400;
      const count = rep ? b.rng.int(9) : 0;
      const pointer = () => DATA_BASE + (down ? 0x100 + b.rng.int(0x40) : 0x20 + b.rng.int(0x80));
      // Garbage above bit 31 that the a32 form must ignore, but not where vendors differ: at a REP
      // with ECX = 0, Intel's processors zero-extend RCX (and RSI, RDI for MOVS, STOS) anyway,
      // AMD's, and the interpreter, write none of them.
      // Drawn either way, so a seed makes the same cases on every host.
      const garbage = addr32 && (!rep || count > 0 || HOST_IS_AMD);
      const high = (v: number) => { const upper = addr32 ? BigInt(b.rng.u32()) << 32n : 0n; return BigInt(v) | (garbage ? upper : 0n); };
      const src = pointer(), dst = pointer();
      b.setReg(RSI, high(src)); b.setReg(RDI, high(dst));
      if (rep) b.setReg(RCX, high(count));
      if ((op === 'cmps' || op === 'scas') && b.rng.bool(0.6)) {
        // Equal runs, so repe/repne stop at a chosen element rather than the first.
        const run = b.rng.int(count + 1) * bytes * (down ? -1 : 1);
        for (let k = 0; Math.abs(k) < Math.abs(run) + bytes; k += down ? -1 : 1) {
          if (op === 'cmps') b.poke(dst + k, b.peek(src + k, 1), 1);
          else b.poke(dst + k, b.peek(dst, 1), 1);
        }
        if (op === 'scas') setRegPart(b, RAX, size, b.peek(dst, bytes));
      }
      b.emit(name, [...(rep ? [rep] : []), ...s.prefixes, ...(addr32 ? [0x67] : []), ...(s.w ? [0x48] : []), opc + (size === 8 ? 0 : 1)]);
    } });
  }
  return forms;
}

function stackForms(): Form[] {
  const forms: Form[] = [];
  const st = (name: string, emit: (b: CaseBuilder) => void, controlled = false): Form =>
    ({ name, stack: true, controlled, implicit: [RSP, RBP], emit });
  forms.push(st('push r64 (50+r)', (b) => { const r = b.anyReg(); b.emit('push r64 (50+r)', [...(r >= 8 ? [0x41] : []), 0x50 + (r & 7)]); }));
  forms.push(st('push r16 (66 50+r)', (b) => { const r = b.anyReg(); b.emit('push r16 (66 50+r)', [0x66, ...(r >= 8 ? [0x41] : []), 0x50 + (r & 7)]); }));
  forms.push(st('pop r64 (58+r)', (b) => { const r = b.writableReg([RSP]); b.emit('pop r64 (58+r)', [...(r >= 8 ? [0x41] : []), 0x58 + (r & 7)]); }));
  forms.push(st('push r/m64 (m)', (b) => b.modrm('push r/m64 (m)', { opcode: [0xff], reg: 6, rm: { kind: 'mem' } })));
  forms.push(st('pop r/m64 (m)', (b) => b.modrm('pop r/m64 (m)', { opcode: [0x8f], reg: 0, rm: { kind: 'mem' } })));
  forms.push(st('push imm8', (b) => b.emit('push imm8', [0x6a, ...b.imm(1)])));
  forms.push(st('push imm32', (b) => b.emit('push imm32', [0x68, ...b.imm(4)])));
  forms.push(st('pushfq', (b) => b.emit('pushfq', [0x9c])));
  forms.push(st('popfq', (b) => {
    // User mode cannot change IF/IOPL and TF/AC would trap; pop only what both sides can load.
    const flags = 0x202 | (b.rng.u32() & 0xcd5);
    b.poke(Number(b.gpr[RSP]), BigInt(flags), 8);
    b.emit('popfq', [0x9d]);
  }, true));
  forms.push(st('call rel32; ret', (b) => b.emit('call rel32; ret', [0xe8, 2, 0, 0, 0, 0xeb, 1, 0xc3])));
  forms.push(st('call rel32; ret imm16', (b) => b.emit('call rel32; ret imm16', [0xe8, 2, 0, 0, 0, 0xeb, 3, 0xc2, 8 * b.rng.int(3), 0])));
  forms.push(st('enter imm16, imm8', (b) => {
    b.setReg(RBP, BigInt(DATA_BASE + 0x100 + 8 * b.rng.int(16)));
    b.emit('enter imm16, imm8', [0xc8, b.rng.int(40), 0, b.rng.int(4)]);
  }, true));
  forms.push(st('leave', (b) => {
    b.setReg(RBP, BigInt(DATA_BASE + 0x100 + 8 * b.rng.int(16)));
    b.emit('leave', [0xc9]);
  }, true));
  return forms;
}

/**
 * Instructions that must fault at CPL 3 (#GP(0): privileged or IOPL-sensitive with IOPL 0;
 * #UD: undefined, LOCK on a register, invalid in 64-bit mode, VMX outside VMX operation) or
 * trap (INT3, INT1). The case ends in the exception on both sides.
 */
function faultingForms(): Form[] {
  const forms: Form[] = [];
  const fixed: [string, number[]][] = [
    ['hlt', [0xf4]], ['cli', [0xfa]], ['sti', [0xfb]], ['in al, dx', [0xec]], ['in eax, imm8', [0xe5, 0x60]],
    ['out dx, al', [0xee]], ['out imm8, al', [0xe6, 0x80]], ['insb', [0x6c]], ['outsd', [0x6f]],
    ['mov cr0, rax', [0x0f, 0x22, 0xc0]], ['mov rax, cr3', [0x0f, 0x20, 0xd8]], ['mov dr7, rcx', [0x0f, 0x23, 0xf9]],
    ['rdmsr', [0x0f, 0x32]], ['wrmsr', [0x0f, 0x30]], ['ltr ax', [0x0f, 0x00, 0xd8]], ['lldt ax', [0x0f, 0x00, 0xd0]],
    ['lmsw ax', [0x0f, 0x01, 0xf0]], ['wbinvd', [0x0f, 0x09]], ['invd', [0x0f, 0x08]], ['clts', [0x0f, 0x06]],
    ['swapgs', [0x0f, 0x01, 0xf8]], ['sysretq', [0x48, 0x0f, 0x07]],
    ['ud2', [0x0f, 0x0b]], ['ud1 eax, ecx', [0x0f, 0xb9, 0xc1]], ['ud0 eax, ecx', [0x0f, 0xff, 0xc1]],
    ['lock add eax, ecx (#UD)', [0xf0, 0x01, 0xc8]], ['82 /0 ib (#UD in 64-bit)', [0x82, 0xc0, 0x01]], ['into (#UD in 64-bit)', [0xce]],
    ['push es (#UD in 64-bit)', [0x06]], ['pop ds (#UD in 64-bit)', [0x1f]],
    ['vmcall', [0x0f, 0x01, 0xc1]], ['vmlaunch', [0x0f, 0x01, 0xc2]], ['vmresume', [0x0f, 0x01, 0xc3]], ['vmxoff', [0x0f, 0x01, 0xc4]],
    ['int3', [0xcc]], ['int1', [0xf1]],
    ['in al, imm8', [0xe4, 0x60]], ['out imm8, eax', [0xe7, 0x80]], ['in eax, dx', [0xed]], ['out dx, eax', [0xef]],
    ['insd', [0x6d]], ['outsb', [0x6e]], ['mov rax, dr7', [0x0f, 0x21, 0xf8]], ['clac', [0x0f, 0x01, 0xca]], ['stac', [0x0f, 0x01, 0xcb]],
    ['vmread rcx, rax', [0x0f, 0x78, 0xc1]], ['vmwrite rax, rcx', [0x0f, 0x79, 0xc1]],
  ];
  for (const [name, bytes] of fixed) forms.push({ name, emit: (b) => b.emit(name, bytes) });
  const mem: [string, number[], number][] = [['lgdt m', [0x0f, 0x01], 2], ['lidt m', [0x0f, 0x01], 3], ['invlpg m', [0x0f, 0x01], 7],
    ['vmptrld m64', [0x0f, 0xc7], 6], ['vmptrst m64', [0x0f, 0xc7], 7], ['vmclear m64', [0x66, 0x0f, 0xc7], 6], ['vmxon m64', [0xf3, 0x0f, 0xc7], 6],
    ['invept r64, m128', [0x66, 0x0f, 0x38, 0x80], 0], ['invvpid r64, m128', [0x66, 0x0f, 0x38, 0x81], 0]];
  for (const [name, bytes, digit] of mem) {
    // Mandatory prefixes go before the (optional) REX prefix the encoder adds.
    const prefixes = bytes.filter((x, i) => i === 0 && [0x66, 0xf3].includes(x));
    forms.push({ name, emit: (b) => b.modrm(name, { prefixes, opcode: bytes.slice(prefixes.length), reg: digit, rm: { kind: 'mem' } }) });
  }
  return forms;
}

/** MOVBE, cache-control and hint instructions, LOOP/JRCXZ, 16-bit POP. */
function extraForms(): Form[] {
  const forms: Form[] = [];
  for (const size of [16, 32, 64] as Size[]) for (const store of [false, true]) {
    const name = store ? `movbe m${size}, r${size}` : `movbe r${size}, m${size}`;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size);
      b.modrm(name, { prefixes: s.prefixes, w: s.w, opcode: [0x0f, 0x38, store ? 0xf1 : 0xf0], reg: store ? b.anyReg() : b.writableReg(), rm: { kind: 'mem' } });
    } });
  }
  const hints: [string, number[], number][] = [['clflush m8', [0x0f, 0xae], 7], ['prefetchw m8', [0x0f, 0x0d], 1], ['prefetcht0 m8', [0x0f, 0x18], 1]];
  for (const [name, opcode, digit] of hints) forms.push({ name, emit: (b) => b.modrm(name, { opcode, reg: digit, rm: { kind: 'mem' } }) });
  // Reserved-NOP hint space (SDM "NOP" 0F 1F /0 and the 0F 19-1E rows of Table A-3).
  for (const opc of [0x19, 0x1d, 0x1e, 0x1f]) for (const kind of KINDS) {
    const name = `nop r/m, r (0F ${opc.toString(16).toUpperCase()}, ${kind})`;
    forms.push({ name, emit: (b) => b.modrm(name, { prefixes: b.rng.bool(0.3) ? [0x66] : [], w: b.rng.bool(0.3), opcode: [0x0f, opc], reg: opc === 0x1f ? 1 + b.rng.int(7) : b.anyReg(), rm: kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: b.anyReg() } }) });
  }
  // TEST r/m, imm also under /1 of F6/F7 (SDM Table A-6, group 3).
  for (const size of SIZES) for (const kind of KINDS) {
    const name = `test r/m${size}, imm (/1 alias, ${kind})`;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size); const o = operands(b, size, kind, false, false);
      b.modrm(name, { prefixes: s.prefixes, w: s.w, rex: o.rex, opcode: [size === 8 ? 0xf6 : 0xf7], reg: 1, rm: o.rm, imm: b.imm(immBytes(size)) });
    } });
  }
  // MOV r/m, Sreg: the register form writes the operand size (zero-extended), memory 16 bits.
  for (const size of [16, 32, 64] as Size[]) for (const kind of KINDS) {
    const name = `mov r/m${kind === 'm' ? 16 : size}, Sreg (${kind})`;
    if (kind === 'm' && size !== 16) continue;
    forms.push({ name, emit: (b) => {
      const s = sizeBits(size);
      b.modrm(name, { prefixes: s.prefixes, w: s.w, opcode: [0x8c], reg: b.rng.int(6), rm: kind === 'm' ? { kind: 'mem' } : { kind: 'reg', reg: b.writableReg() } });
    } });
  }
  // Indirect JMP/CALL through a register or memory to a target inside the case (controlled: they set the pointer).
  for (const call of [false, true]) for (const kind of KINDS) {
    const name = `${call ? 'call' : 'jmp'} r/m64 (${kind})`;
    forms.push({ name, controlled: true, stack: call, implicit: call ? [RSP, RBP] : [], emit: (b) => {
      const reg = kind === 'r' ? b.writableReg([RSP]) : -1;
      const rm: RmOperand = kind === 'r' ? { kind: 'reg', reg } : { kind: 'mem' };
      const start = b.code.length;
      const { bytes, addr } = b.modrm(name, { opcode: [0xff], reg: call ? 2 : 4, rm });
      // jmp: skip a 3-byte body; call: land on a RET behind a 1-byte jump over it.
      const after = CODE_BASE + start + bytes.length;
      const tail = call ? [0xeb, 0x01, 0xc3] : [0x48, 0x31, 0xc0];
      const target = call ? after + 2 : after + 3;
      b.code.push(...tail);
      b.spans[b.spans.length - 1][1] += tail.length;
      if (kind === 'r') b.setReg(reg, BigInt(target)); else b.poke(addr, BigInt(target), 8);
    } });
  }
  for (const [name, bytes] of [['lfence', [0x0f, 0xae, 0xe8]], ['mfence', [0x0f, 0xae, 0xf0]], ['sfence', [0x0f, 0xae, 0xf8]]] as [string, number[]][]) {
    forms.push({ name, emit: (b) => b.emit(name, bytes) });
  }
  const loops: [string, number, boolean][] = [['loop rel8', 0xe2, false], ['loope rel8', 0xe1, false], ['loopne rel8', 0xe0, false],
    ['jrcxz rel8', 0xe3, false], ['loop rel8 (a32)', 0xe2, true], ['jecxz rel8', 0xe3, true]];
  for (const [name, opcode, a32] of loops) {
    // Controlled: the count register gets small values (and garbage above ECX for the a32 forms).
    forms.push({ name, controlled: true, implicit: [RCX], emit: (b) => {
      if (b.rng.bool(0.6)) setRegPart(b, RCX, 64, BigInt(b.rng.int(3)) | (a32 && b.rng.bool() ? BigInt(b.rng.u32()) << 32n : 0n));
      jumpOver(b, name, [...(a32 ? [0x67] : []), opcode], false);
    } });
  }
  forms.push({ name: 'pop r16 (66 58+r)', stack: true, implicit: [RSP, RBP], emit: (b) => {
    const r = b.writableReg([RSP]);
    b.emit('pop r16 (66 58+r)', [0x66, ...(r >= 8 ? [0x41] : []), 0x58 + (r & 7)]);
  } });
  return forms;
}

export const FORMS: readonly Form[] = [
  ...aluForms(), ...unaryForms(), ...movForms(), ...exchangeForms(), ...mulDivForms(), ...shiftForms(),
  ...bitForms(), ...conditionForms(), ...miscForms(), ...stringForms(), ...stackForms(), ...faultingForms(), ...extraForms(),
];

/** Initial RSP for cases with stack forms: 8-byte aligned inside the window's stack area. */
export function stackTop(b: CaseBuilder): number {
  return STACK_TOP_MIN + 8 * b.rng.int((STACK_TOP_MAX - STACK_TOP_MIN) / 8);
}

