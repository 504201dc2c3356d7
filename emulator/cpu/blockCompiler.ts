// The block compiler: JavaScript source for a hot block in which the common integer
// instructions are written out as their own semantics (Intel SDM vol. 2) instead of calls to
// the interpreter's handlers: GPRs read and written as 32-bit halves in place, RFLAGS kept in
// a local, and each status flag computed only where something can see it (Bochs' lazy flags,
// QEMU's cc_op, done at compile time within the block). A flag an instruction writes is dead
// when a later instruction of the block writes it again before anything reads it; everything
// that can observe RFLAGS keeps it live: a later condition (Jcc, CMOVcc, SETcc, ADC/SBB), an
// instruction run by its handler (it reads RFLAGS from CpuState), one that can fault or exit
// (delivery pushes RFLAGS), and the block's exit. Instructions without an emitter here run by
// their handlers with blocks.ts' per-instruction protocol, so the architectural state at
// every point anything can see it is the state step() leaves.
//
// A block whose last instruction jumps back to its own first one (a loop) runs again inside
// the function while the next round stays within `lim` (the caller's budget, the
// VMX-preemption deadline, one round when a breakpoint sits at the start).

import type { DecodedInsn } from '../decoder/decoder';
import { Flag } from './state';
import { STATUS } from './flags';
import type { Block } from './blocks';

const CF = Flag.CF, PF = Flag.PF, AF = Flag.AF, ZF = Flag.ZF, SF = Flag.SF, OF = Flag.OF;
const CANON = 140737488355328; // 2^47
const TWO32 = 4294967296;
const MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
const SIGN = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];

/** Flags each condition code tttn reads (SDM Appendix B.1.4.7), by cc >> 1. */
const COND_READS = [OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF];

/** The condition tttn as a JavaScript boolean expression over the flags local F. */
function condExpr(cc: number): string {
  const so = '(((F >>> 7) ^ (F >>> 11)) & 1) !== 0';
  const r = [`(F & ${OF}) !== 0`, `(F & ${CF}) !== 0`, `(F & ${ZF}) !== 0`, `(F & ${CF | ZF}) !== 0`,
    `(F & ${SF}) !== 0`, `(F & ${PF}) !== 0`, so, `((F & ${ZF}) !== 0 || ${so})`][cc >> 1];
  return cc & 1 ? `(!(${r}))` : `(${r})`;
}

// ---------------------------------------------------------------- GPR access as source text

/** Value of a GPR of `size` bytes (size 8: the low half); byte registers follow the REX rules. */
function reg(size: number, r: number, rex: number): string {
  if (size >= 4) return `R[${r << 1}]`;
  if (size === 2) return `(R[${r << 1}] & 0xffff)`;
  if (r >= 4 && r < 8 && rex === 0) return `((R[${(r - 4) << 1}] >>> 8) & 0xff)`;
  return `(R[${r << 1}] & 0xff)`;
}
const regHi = (r: number) => `R[${(r << 1) + 1}]`;

/** Store to a GPR; 32-bit writes zero the upper half (SDM 3.4.1.1), 8/16-bit ones merge. */
function setReg(size: number, r: number, rex: number, lo: string, hi: string): string {
  const k = r << 1;
  if (size === 8) return `R[${k}] = ${lo}; R[${k + 1}] = ${hi};`;
  if (size === 4) return `R[${k}] = ${lo}; R[${k + 1}] = 0;`;
  if (size === 2) return `R[${k}] = (R[${k}] & 0xffff0000) | (${lo} & 0xffff);`;
  if (r >= 4 && r < 8 && rex === 0) return `R[${k - 8}] = (R[${k - 8}] & 0xffff00ff) | ((${lo} & 0xff) << 8);`;
  return `R[${k}] = (R[${k}] & 0xffffff00) | (${lo} & 0xff);`;
}

/** Immediate at the operand size: low half, high half (sign-extended for size 8). */
const immLo = (i: DecodedInsn, size: number) => size === 1 ? i.imm & 0xff : size === 2 ? i.imm & 0xffff : i.imm >>> 0;
const immHi = (i: DecodedInsn, size: number) => size === 8 && i.imm < 0 ? 0xffffffff : 0;

// ---------------------------------------------------------------- flag results

/**
 * How an instruction's status flags follow from its locals: `a`, `b`, `r` (sizes 1-4) or
 * `aL aH bL bH rL rH` (size 8), with `t`/`t1` the unwrapped sum or difference (high half's for 8).
 */
const enum Result { Add, Sub, Logic, Shl, Shr, Sar }

/** Source text of the needed bits of one flag result, OR-ed; '0' when none is needed. */
function flagBits(kind: Result, size: number, needed: number): string {
  const parts: string[] = [];
  const w = size === 8;
  const r = w ? 'rL' : 'r';
  if (needed & CF) {
    if (kind === Result.Add) parts.push(w ? '(t1 > 0xffffffff ? 1 : 0)' : `(t > ${MASK[size]} ? 1 : 0)`);
    else if (kind === Result.Sub) parts.push(w ? '(t1 < 0 ? 1 : 0)' : '(t < 0 ? 1 : 0)');
    else if (kind !== Result.Logic) parts.push('cf');
  }
  if (needed & OF) {
    if (kind === Result.Add) parts.push(w ? '(((aH ^ rH) & (bH ^ rH)) < 0 ? 2048 : 0)' : `(((a ^ r) & (b ^ r) & ${SIGN[size]}) !== 0 ? 2048 : 0)`);
    else if (kind === Result.Sub) parts.push(w ? '(((aH ^ bH) & (aH ^ rH)) < 0 ? 2048 : 0)' : `(((a ^ b) & (a ^ r) & ${SIGN[size]}) !== 0 ? 2048 : 0)`);
    else if (kind === Result.Shl || kind === Result.Shr) parts.push('(of << 11)');
  }
  if (needed & AF) {
    if (kind === Result.Add || kind === Result.Sub) parts.push(w ? '((aL ^ bL ^ rL) & 16)' : '((a ^ b ^ r) & 16)');
    else if (kind !== Result.Logic) parts.push('16'); // shifts: this machine's processor sets AF (docs/cpu.md)
  }
  if (needed & ZF) parts.push(w ? '((rL | rH) === 0 ? 64 : 0)' : `(${r} === 0 ? 64 : 0)`);
  if (needed & SF) parts.push(w ? '((rH >>> 24) & 128)' : size === 4 ? '((r >>> 24) & 128)' : `((r & ${SIGN[size]}) !== 0 ? 128 : 0)`);
  if (needed & PF) parts.push(`P[${r} & 0xff]`);
  return parts.length ? parts.join(' | ') : '0';
}

/** F updated with the needed bits of `written` (the others are dead: overwritten before anyone looks). */
function setFlags(kind: Result, size: number, written: number, needed: number): string {
  const n = written & needed;
  if (n === 0) return '';
  return `F = (F & ${~n}) | ${flagBits(kind, size, n)};`;
}

// ---------------------------------------------------------------- emitters

/** One instruction written out: flags it reads and writes, and its source given the flags needed after it. */
interface Emitter { reads: number; writes: number; code(needed: number): string }

/** ADD/OR/ADC/SBB/AND/SUB/XOR/CMP (and TEST as AND without the store) of register/immediate operands. */
function aluEmitter(op: number, size: number, a: { lo: string; hi: string }, b: { lo: string; hi: string }, store: ((lo: string, hi: string) => string) | undefined): Emitter {
  const carryIn = op === 2 || op === 3;
  const kind = op === 0 || op === 2 ? Result.Add : op === 3 || op === 5 || op === 7 ? Result.Sub : Result.Logic;
  return {
    reads: carryIn ? CF : 0,
    writes: STATUS,
    code(needed) {
      const cin = carryIn ? ' + (F & 1)' : '';
      let body: string;
      if (size === 8) {
        body = `const aL = ${a.lo}, aH = ${a.hi}, bL = ${b.lo}, bH = ${b.hi};`;
        if (kind === Result.Add) body += ` const t = aL + bL${cin}, rL = t >>> 0, t1 = aH + bH + (t > 0xffffffff ? 1 : 0), rH = t1 >>> 0;`;
        else if (kind === Result.Sub) body += ` const t = aL - bL${cin.replace('+', '-')}, rL = t >>> 0, t1 = aH - bH - (t < 0 ? 1 : 0), rH = t1 >>> 0;`;
        else { const o = op === 1 ? '|' : op === 4 ? '&' : '^'; body += ` const rL = (aL ${o} bL) >>> 0, rH = (aH ${o} bH) >>> 0;`; }
        body += setFlags(kind, 8, STATUS, needed);
        if (store) body += store('rL', 'rH');
      } else {
        const wrap = size === 4 ? 't >>> 0' : `t & ${MASK[size]}`;
        body = `const a = ${a.lo}, b = ${b.lo};`;
        if (kind === Result.Add) body += ` const t = a + b${cin}, r = ${wrap};`;
        else if (kind === Result.Sub) body += ` const t = a - b${cin.replace('+', '-')}, r = ${wrap};`;
        else { const o = op === 1 ? '|' : op === 4 ? '&' : '^'; body += ` const r = (a ${o} b) >>> 0;`; }
        body += setFlags(kind, size, STATUS, needed);
        if (store) body += store('r', '0');
      }
      return `{ ${body} }`;
    },
  };
}

/** INC/DEC: ADD/SUB 1 with CF unchanged. */
function incDecEmitter(dec: boolean, size: number, r: number, rex: number): Emitter {
  const b = { lo: '1', hi: '0' };
  const inner = aluEmitter(dec ? 5 : 0, size, { lo: reg(size, r, rex), hi: size === 8 ? regHi(r) : '0' }, b, (lo, hi) => setReg(size, r, rex, lo, hi));
  return { reads: 0, writes: STATUS & ~CF, code: (needed) => inner.code(needed & ~CF) };
}

/** SHL/SAL, SHR, SAR of a 32- or 64-bit register by a constant count 1-31/63 (alu.ts shift/shift64). */
function shiftEmitter(op: number, size: number, r: number, c: number): Emitter {
  const k = r << 1;
  return {
    reads: 0,
    writes: STATUS,
    code(needed) {
      let body: string;
      const kind = op === 5 ? Result.Shr : op === 7 ? Result.Sar : Result.Shl;
      if (size === 4) {
        body = `const v = R[${k}];`;
        if (kind === Result.Shl) body += ` const r = (v << ${c}) >>> 0, cf = (v >>> ${32 - c}) & 1, of = (r >>> 31) ^ cf;`;
        else if (kind === Result.Shr) body += ` const r = v >>> ${c}, cf = (v >>> ${c - 1}) & 1, of = (r >>> 31) ^ ((r >>> 30) & 1);`;
        else body += ` const r = ((v | 0) >> ${c}) >>> 0, cf = ((v | 0) >> ${c - 1}) & 1;`;
        body += setFlags(kind, 4, STATUS, needed) + ` R[${k}] = r; R[${k + 1}] = 0;`;
      } else {
        body = `const lo = R[${k}], hi = R[${k + 1}];`;
        if (kind === Result.Shl) {
          if (c < 32) body += ` const rH = ((hi << ${c}) | (lo >>> ${32 - c})) >>> 0, rL = (lo << ${c}) >>> 0, cf = (hi >>> ${32 - c}) & 1;`;
          else if (c === 32) body += ' const rH = lo, rL = 0, cf = hi & 1;';
          else body += ` const rH = (lo << ${c - 32}) >>> 0, rL = 0, cf = (lo >>> ${64 - c}) & 1;`;
          body += ' const of = (rH >>> 31) ^ cf;';
        } else if (kind === Result.Shr) {
          if (c < 32) body += ` const rL = ((lo >>> ${c}) | (hi << ${32 - c})) >>> 0, rH = hi >>> ${c}, cf = (lo >>> ${c - 1}) & 1;`;
          else if (c === 32) body += ' const rL = hi, rH = 0, cf = lo >>> 31;';
          else body += ` const rL = hi >>> ${c - 32}, rH = 0, cf = (hi >>> ${c - 33}) & 1;`;
          body += ' const of = (rH >>> 31) ^ ((rH >>> 30) & 1);';
        } else {
          if (c < 32) body += ` const rL = ((lo >>> ${c}) | (hi << ${32 - c})) >>> 0, rH = ((hi | 0) >> ${c}) >>> 0, cf = (lo >>> ${c - 1}) & 1;`;
          else if (c === 32) body += ' const rL = hi, rH = ((hi | 0) >> 31) >>> 0, cf = lo >>> 31;';
          else body += ` const rL = ((hi | 0) >> ${c - 32}) >>> 0, rH = ((hi | 0) >> 31) >>> 0, cf = ((hi | 0) >> ${c - 33}) & 1;`;
        }
        body += setFlags(kind, 8, STATUS, needed) + ` R[${k}] = rL; R[${k + 1}] = rH;`;
      }
      return `{ ${body} }`;
    },
  };
}

/** LEA's effective address (SDM 3.7.5) into locals lo/hi: base + index << scale + displacement, wrapped to 64 bits. */
function leaSource(i: DecodedInsn, next: number): string {
  if (i.ripRelative) {
    return `const t = r + ${next + i.disp}; let lo = t >= 0 ? t % ${TWO32} : (t % ${TWO32} + ${TWO32}) % ${TWO32}; let hi = Math.floor(t / ${TWO32}) >>> 0;`;
  }
  let s = `let lo = ${i.disp >>> 0}, hi = ${i.disp < 0 ? -1 : 0};`;
  if (i.base >= 0) s += ` lo += R[${i.base << 1}]; hi += R[${(i.base << 1) + 1}];`;
  if (i.index >= 0) {
    const x = i.index << 1, sc = i.scale;
    if (sc === 0) s += ` lo += R[${x}]; hi += R[${x + 1}];`;
    else s += ` lo += (R[${x}] << ${sc}) >>> 0; hi += ((R[${x + 1}] << ${sc}) | (R[${x}] >>> ${32 - sc})) >>> 0;`;
  }
  return s + ` const carry = Math.floor(lo / ${TWO32}); lo -= carry * ${TWO32}; hi = (hi + carry) >>> 0;`;
}

/**
 * The emitter for instruction `i` (handler `name`, at `next` bytes past the block's start once
 * it retires), or undefined: it runs by its handler. Register forms only; memory operands,
 * 8/16-bit shifts, rotates and the rarer forms keep their handlers.
 */
function emitterFor(name: string, i: DecodedInsn, next: number): Emitter | undefined {
  const s = i.opsize, rex = i.rex, regForm = i.hasModrm && i.mod === 3;
  const operand = (size: number, r: number) => ({ lo: reg(size, r, rex), hi: size === 8 ? regHi(r) : '0' });
  const imm = (size: number) => ({ lo: String(immLo(i, size)), hi: String(immHi(i, size)) });
  const store = (size: number, r: number) => (lo: string, hi: string) => setReg(size, r, rex, lo, hi);
  const pure = (code: string): Emitter => ({ reads: 0, writes: 0, code: () => `{ ${code} }` });
  switch (name) {
    case 'aluEG': case 'aluGE': {
      if (!regForm) return undefined;
      const op = i.opcode >> 3;
      const [d, src] = name === 'aluEG' ? [i.rm, i.reg] : [i.reg, i.rm];
      return aluEmitter(op, s, operand(s, d), operand(s, src), op === 7 ? undefined : store(s, d));
    }
    case 'aluEI': {
      if (!regForm) return undefined;
      const op = i.reg & 7;
      return aluEmitter(op, s, operand(s, i.rm), imm(s), op === 7 ? undefined : store(s, i.rm));
    }
    case 'aluAI': {
      const op = i.opcode >> 3;
      return aluEmitter(op, s, operand(s, 0), imm(s), op === 7 ? undefined : store(s, 0));
    }
    case 'testEG': return regForm ? aluEmitter(4, s, operand(s, i.rm), operand(s, i.reg), undefined) : undefined;
    case 'testEI': return regForm ? aluEmitter(4, s, operand(s, i.rm), imm(s), undefined) : undefined;
    case 'testAI': return aluEmitter(4, s, operand(s, 0), imm(s), undefined);
    case 'incDecE': return regForm && s >= 4 ? incDecEmitter((i.reg & 7) === 1, s, i.rm, rex) : undefined;
    case 'shift': {
      const op = i.reg & 7;
      if (!regForm || s < 4 || op < 4 || (i.opcode !== 0xc1 && i.opcode !== 0xd1)) return undefined;
      const c = (i.opcode === 0xd1 ? 1 : i.imm & 0xff) & (s === 8 ? 0x3f : 0x1f);
      if (c === 0) return pure(s === 4 ? `R[${(i.rm << 1) + 1}] = 0;` : ''); // flags and value unchanged; a 32-bit write still zero-extends
      return shiftEmitter(op, s, i.rm, c);
    }
    case 'movEG': case 'movGE': {
      if (!regForm) return undefined;
      const [d, src] = name === 'movEG' ? [i.rm, i.reg] : [i.reg, i.rm];
      const v = operand(s, src);
      return pure(`const lo = ${v.lo}, hi = ${v.hi}; ${setReg(s, d, rex, 'lo', 'hi')}`);
    }
    case 'movZI': return pure(s === 8 ? setReg(8, i.opReg, rex, String(i.imm >>> 0), String(i.immHi)) : setReg(s, i.opReg, rex, String(immLo(i, s)), '0'));
    case 'movEI': return regForm ? pure(setReg(s, i.rm, rex, String(immLo(i, s)), String(immHi(i, s)))) : undefined;
    case 'lea': {
      if (i.addrsize === 2 || s === 2) return undefined;
      const hi = s === 8 && i.addrsize === 8 ? 'hi' : '0';
      return pure(`${leaSource(i, next)} ${setReg(s, i.reg, rex, 'lo', hi)}`);
    }
    case 'movzx': {
      if (!regForm) return undefined;
      return pure(`const v = ${reg(i.opcode === 0xb6 ? 1 : 2, i.rm, rex)}; ${setReg(s, i.reg, rex, 'v', '0')}`);
    }
    case 'movsx': {
      if (!regForm) return undefined;
      const v = i.opcode === 0xbe ? `((${reg(1, i.rm, rex)} << 24) >> 24)` : `((${reg(2, i.rm, rex)} << 16) >> 16)`;
      return pure(`const v = ${v}; ${setReg(s, i.reg, rex, s === 2 ? '(v & 0xffff)' : '(v >>> 0)', '(v < 0 ? 0xffffffff : 0)')}`);
    }
    case 'movsxd': {
      if (!regForm || s !== 8) return undefined;
      return pure(`const v = R[${i.rm << 1}]; R[${i.reg << 1}] = v; R[${(i.reg << 1) + 1}] = (v & 0x80000000) !== 0 ? 0xffffffff : 0;`);
    }
    case 'cmov': {
      if (!regForm || s < 4) return undefined;
      const cc = i.opcode & 15, d = i.reg << 1, src = i.rm << 1;
      const hi = s === 8 ? `R[${src + 1}]` : '0';
      const other = s === 4 ? ` else R[${d + 1}] = 0;` : ''; // a 32-bit destination is zero-extended either way
      return { reads: COND_READS[cc >> 1], writes: 0, code: () => `{ const lo = R[${src}], hi = ${hi}; if ${condExpr(cc)} { R[${d}] = lo; R[${d + 1}] = hi; }${other} }` };
    }
    case 'setcc': {
      if (!regForm) return undefined;
      const cc = i.opcode & 15;
      return { reads: COND_READS[cc >> 1], writes: 0, code: () => `{ ${setReg(1, i.rm, rex, `(${condExpr(cc)} ? 1 : 0)`, '0')} }` };
    }
    case 'nopE': case 'nop90': return i.map === 0 && i.opcode === 0x90 && (rex & 1) ? undefined : pure('');
    default: return undefined;
  }
}

/** Jcc/JMP rel: the end of a block written out (the target is canonical-checked as branch() does). */
function isDirectBranch(name: string): boolean { return name === 'jcc' || name === 'jmpNear'; }

/**
 * Source of the BlockRun `function block(c, st, r, ic, gens, g, lim)` for block `b`, built
 * with new Function('H', 'I', 'P', source): its handlers, decoded instructions and the parity
 * table are closure constants.
 */
export function compiledSource(b: Block): string {
  const n = b.length, page = b.phys >>> 12;
  const insns = b.insns, names = b.names;
  const emitters = insns.map((i, k) => (isDirectBranch(names[k]) ? undefined : emitterFor(names[k], i, b.deltas[k] + i.length)));
  const last = insns[n - 1];
  const branchEnd = isDirectBranch(names[n - 1]);
  const endLen = b.deltas[n - 1] + last.length;
  const loops = branchEnd && endLen + last.imm === 0;

  // Flags live after each instruction, backwards from the exit (where all are live).
  const liveAfter: number[] = new Array<number>(n);
  let live = STATUS;
  for (let k = n - 1; k >= 0; k--) {
    liveAfter[k] = live;
    const e = emitters[k];
    if (k === n - 1 && branchEnd) {
      if (names[k] === 'jcc') live |= COND_READS[(insns[k].opcode & 15) >> 1];
    } else if (e === undefined) live = STATUS; // run by its handler: it sees CpuState's RFLAGS
    else live = (live & ~e.writes) | e.reads;
  }

  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(`const h${k} = H[${k}], i${k} = I[${k}];`);
  out.push('return function block(c, st, r, ic, gens, g, lim) {');
  out.push('const R = c.r32, ic0 = ic; let F = st.getRflags();');
  if (loops) out.push('for (;;) {');
  let dirty = loops; // a second round starts with F ahead of CpuState
  const sync = () => (dirty ? 'st.setRflags(F); ' : '');
  /** Leave after `retired` instructions with RIP `rip` (an expression). */
  const leave = (retired: number, rip: string) => `${sync()}st.icount = ic + ${retired}; st.setRipNum(${rip}); return ic + ${retired} - ic0;`;
  for (let k = 0; k < n; k++) {
    const i = insns[k], d = b.deltas[k], len = i.length;
    const e = emitters[k];
    if (k === n - 1 && branchEnd) {
      const target = d + len + i.imm;
      // The target must be canonical (SDM Jcc/JMP: #GP(0)); the handler raises it.
      const check = `if (t < -${CANON} || t >= ${CANON}) { ${sync()}st.icount = ic + ${k}; st.setRipNum(r + ${d}); c.insn = i${k}; c.insnLength = ${len}; c.rip = r + ${d}; c.nextRip = r + ${d + len}; h${k}(c, i${k}); }`;
      const taken = loops
        ? `{ if (ic + ${2 * n} <= lim) { ic += ${n}; continue; } ${leave(n, 'r')} }`
        : `{ const t = r + ${target}; ${check} ${leave(n, 't')} }`;
      if (names[k] === 'jcc') out.push(`if ${condExpr(i.opcode & 15)} ${taken}`, leave(n, `r + ${d + len}`));
      else out.push(taken);
      continue;
    }
    if (e !== undefined) {
      out.push(e.code(liveAfter[k]));
      if (e.writes & liveAfter[k]) dirty = true;
      if (k === n - 1) out.push(leave(n, `r + ${d + len}`));
      continue;
    }
    // Run by its handler, with the interpreter's view of this instruction and RFLAGS in CpuState.
    out.push(`${sync()}c.insn = i${k}; c.insnLength = ${len}; c.rip = r + ${d}; c.nextRip = r + ${d + len};`);
    dirty = false;
    if (b.committed[k]) out.push(`st.icount = ic + ${k}; st.setRipNum(r + ${d});`);
    if (i.hasModrm && i.mod !== 3) out.push(`c.computeEa(i${k});`);
    out.push(`h${k}(c, i${k}); F = st.getRflags();`);
    if (k === n - 1) out.push(leave(n, 'c.nextRip'));
    else if (b.committed[k]) out.push(`if (gens[${page}] !== g) { ${leave(k + 1, 'c.nextRip')} }`);
  }
  if (loops) out.push('}');
  out.push('};');
  return out.join('\n');
}
