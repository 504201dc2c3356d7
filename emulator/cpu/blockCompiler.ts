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
// every point anything can see it is the state step() leaves. Memory accesses are written out
// as the TLB's hit path only; a miss, a page-crossing or non-canonical address or a bad branch
// target runs the instruction's handler instead, so faults and VM exits are the interpreter's.
// A hit can neither fault nor write a page holding code (the write TLB keeps no such page), so
// the retired count, RIP and the code-write check are committed on the handler's path only.
//
// A block whose last instruction jumps back to its own first one (a loop) runs again inside
// the function while the next round stays within `lim` (the caller's budget, the
// VMX-preemption deadline, one round when a breakpoint sits at the start).

import type { DecodedInsn } from '../decoder/decoder';
import { Flag, Seg } from './state';
import { TLB_SIZE } from './paging';
import { MASK, SIGN, STATUS } from './flags';
import { immHi, immLo } from './ops/integer';
import type { Block } from './blocks';

const CF = Flag.CF, PF = Flag.PF, AF = Flag.AF, ZF = Flag.ZF, SF = Flag.SF, OF = Flag.OF;
const CANON = 140737488355328; // 2^47
const TWO32 = 4294967296;

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

/** F updated with the status flags in `needed` (the others are dead: overwritten before anyone looks). */
function setFlags(kind: Result, size: number, needed: number): string {
  const n = STATUS & needed;
  if (n === 0) return '';
  return `F = (F & ${~n}) | ${flagBits(kind, size, n)};`;
}

// ---------------------------------------------------------------- emitters

/** What an emitter may use of its place in the block. */
interface Site {
  /** Offset of the next instruction from the block's start. */
  next: number;
  /** Run the instruction by its handler instead (a TLB miss, a page-crossing or non-canonical access, a bad target): the reference decides, faults included. */
  handler: string;
  /** The memory operand's base register as a signed number, computed once for the instructions that use it unchanged (compiledSource). */
  base?: string;
}

/**
 * One instruction written out: flags it reads and writes, and its source given the flags
 * needed after it. `ends`: a near CALL/RET, whose source sets the local `nx` to the next RIP
 * (the block's end, or the next instruction's RIP where the block goes through it).
 * `stores`: it may write memory (a write to one of the block's pages ends the block after it).
 */
interface Emitter { reads: number; writes: number; ends?: boolean; stores?: boolean; code(needed: number, site: Site): string }

/** ADD/OR/ADC/SBB/AND/SUB/XOR/CMP (and TEST: AND without the store) of operands given as source text; `store` writes the result. */
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
        body += setFlags(kind, 8, needed);
        if (store) body += store('rL', 'rH');
      } else {
        const wrap = size === 4 ? 't >>> 0' : `t & ${MASK[size]}`;
        body = `const a = ${a.lo}, b = ${b.lo};`;
        if (kind === Result.Add) body += ` const t = a + b${cin}, r = ${wrap};`;
        else if (kind === Result.Sub) body += ` const t = a - b${cin.replace('+', '-')}, r = ${wrap};`;
        else { const o = op === 1 ? '|' : op === 4 ? '&' : '^'; body += ` const r = (a ${o} b) >>> 0;`; }
        body += setFlags(kind, size, needed);
        if (store) body += store('r', '0');
      }
      return `{ ${body} }`;
    },
  };
}

/** INC/DEC: ADD/SUB 1 with CF unchanged. */
function incDecEmitter(dec: boolean, size: number, a: { lo: string; hi: string }, store: (lo: string, hi: string) => string): Emitter {
  const inner = aluEmitter(dec ? 5 : 0, size, a, { lo: '1', hi: '0' }, store);
  return { reads: 0, writes: STATUS & ~CF, code: (needed, site) => inner.code(needed & ~CF, site) };
}

/**
 * SHL/SAL, SHR, SAR (op 4-7) and ROL, ROR (op 0, 1) of 32/64-bit register `r` by the local `n`
 * (1 to size*8-1), as alu.ts shift/shift64/rotate64 compute them; `needed`: the flags to set.
 */
function shiftCode(op: number, size: number, r: number, needed: number): string {
  const k = r << 1;
  if (op < 4) {
    const n2 = needed & (CF | OF);
    const flags = n2 === 0 ? '' : ` F = (F & ${~n2})${needed & CF ? ' | cf' : ''}${needed & OF ? ' | (of << 11)' : ''};`;
    const [cf, of] = op === 0 ? ['rL & 1', '(rH >>> 31) ^ cf'] : ['rH >>> 31', 'cf ^ ((rH >>> 30) & 1)'];
    if (size === 4) {
      const rot = op === 0 ? '((v << n) | (v >>> (32 - n))) >>> 0' : '((v >>> n) | (v << (32 - n))) >>> 0';
      return `const v = R[${k}], rL = ${rot}, rH = rL, cf = ${cf}, of = ${of};${flags} R[${k}] = rL;`;
    }
    // Rotating right by n is rotating left by 64 - n; by 32 or more, the halves swap first.
    return `let a = R[${k}], b = R[${k + 1}], q = ${op === 0 ? 'n' : '64 - n'}, rL, rH; if (q >= 32) { const t = a; a = b; b = t; q -= 32; }`
      + ' if (q === 0) { rL = a; rH = b; } else { rH = ((b << q) | (a >>> (32 - q))) >>> 0; rL = ((a << q) | (b >>> (32 - q))) >>> 0; }'
      + ` const cf = ${cf}, of = ${of};${flags} R[${k}] = rL; R[${k + 1}] = rH;`;
  }
  const kind = op === 5 ? Result.Shr : op === 7 ? Result.Sar : Result.Shl;
  if (size === 4) {
    let body = `const v = R[${k}];`;
    if (kind === Result.Shl) body += ' const r = (v << n) >>> 0, cf = (v >>> (32 - n)) & 1, of = (r >>> 31) ^ cf;';
    else if (kind === Result.Shr) body += ' const r = v >>> n, cf = (v >>> (n - 1)) & 1, of = (r >>> 31) ^ ((r >>> 30) & 1);';
    else body += ' const r = ((v | 0) >> n) >>> 0, cf = ((v | 0) >> (n - 1)) & 1;';
    return body + setFlags(kind, 4, needed) + ` R[${k}] = r;`;
  }
  let body = `const lo = R[${k}], hi = R[${k + 1}]; let rL, rH, cf;`;
  if (kind === Result.Shl) {
    body += ' if (n < 32) { rH = ((hi << n) | (lo >>> (32 - n))) >>> 0; rL = (lo << n) >>> 0; cf = (hi >>> (32 - n)) & 1; }'
      + ' else if (n === 32) { rH = lo; rL = 0; cf = hi & 1; } else { rH = (lo << (n - 32)) >>> 0; rL = 0; cf = (lo >>> (64 - n)) & 1; }'
      + ' const of = (rH >>> 31) ^ cf;';
  } else if (kind === Result.Shr) {
    body += ' if (n < 32) { rL = ((lo >>> n) | (hi << (32 - n))) >>> 0; rH = hi >>> n; cf = (lo >>> (n - 1)) & 1; }'
      + ' else if (n === 32) { rL = hi; rH = 0; cf = lo >>> 31; } else { rL = hi >>> (n - 32); rH = 0; cf = (hi >>> (n - 33)) & 1; }'
      + ' const of = (rH >>> 31) ^ ((rH >>> 30) & 1);';
  } else {
    body += ' if (n < 32) { rL = ((lo >>> n) | (hi << (32 - n))) >>> 0; rH = ((hi | 0) >> n) >>> 0; cf = (lo >>> (n - 1)) & 1; }'
      + ' else if (n === 32) { rL = hi; rH = ((hi | 0) >> 31) >>> 0; cf = lo >>> 31; }'
      + ' else { rL = ((hi | 0) >> (n - 32)) >>> 0; rH = ((hi | 0) >> 31) >>> 0; cf = ((hi | 0) >> (n - 33)) & 1; }';
  }
  return body + setFlags(kind, 8, needed) + ` R[${k}] = rL; R[${k + 1}] = rH;`;
}

/**
 * IMUL into 32/64-bit register `d` of two operands as source text: CF = OF = the product does
 * not fit; SF, ZF, AF and PF stay (ops/integer.ts imulTrunc). 64-bit: imul64 (I) into H, or
 * mul64Low (L) when neither flag is needed: the low half of the product alone is four times cheaper.
 */
function imulCode(size: number, d: number, a: { lo: string; hi: string }, b: { lo: string; hi: string }, needed: number): string {
  const flags = (needed & (CF | OF)) !== 0 ? ` F = (F & ${~(CF | OF)}) | (ov ? ${CF | OF} : 0);` : '';
  if (size === 4) return `const a = ${a.lo}, b = ${b.lo}, lo = Math.imul(a, b), ov = (a | 0) * (b | 0) !== lo; R[${d << 1}] = lo >>> 0; R[${(d << 1) + 1}] = 0;${flags}`;
  const product = flags === '' ? `L(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi});` : `const ov = I(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi});`;
  return `${product} R[${d << 1}] = H[0]; R[${(d << 1) + 1}] = H[1];${flags}`;
}

/**
 * DIV/IDIV of EDX:EAX or RDX:RAX by register `r` where the quotient is exact in doubles
 * (divideFast, D, the handler's own fast path); anything else, #DE included, is the handler's.
 * SF = ZF = PF = 0 and AF = 1 as this machine's processor leaves them; CF, OF stay.
 */
function divEmitter(signed: boolean, size: number, r: number): Emitter {
  const flags = SF | ZF | PF | AF;
  return {
    reads: 0, writes: flags,
    code(needed, site) {
      const set = (needed & flags) !== 0 ? ` F = (F & ${~flags}) | ${AF};` : '';
      const k = r << 1;
      return `if (D(R, ${size}, R[${k}], ${size === 8 ? `R[${k + 1}]` : '0'}, ${signed})) {${set} } else { ${site.handler} }`;
    },
  };
}

/**
 * A shift or rotate of a 32/64-bit register by `count` (masked, not 0), or by CL when
 * `count` is undefined. A zero CL changes no flag, so that form reads the flags it may write:
 * none is dead before it.
 */
function shiftEmitter(op: number, size: number, r: number, count: number | undefined): Emitter {
  const flags = op < 4 ? CF | OF : STATUS;
  const zeroExtend = size === 4 ? ` R[${(r << 1) + 1}] = 0;` : ''; // a 32-bit destination is written even for a zero count
  return {
    reads: count === undefined ? flags : 0,
    writes: flags,
    code: (needed) => (count === undefined
      ? `{ const n = R[2] & ${size === 8 ? 63 : 31}; if (n !== 0) { ${shiftCode(op, size, r, needed)} }${zeroExtend} }`
      : `{ const n = ${count}; ${shiftCode(op, size, r, needed)}${zeroExtend} }`),
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

// ---------------------------------------------------------------- memory: TLB hits written out, the handler on anything else

/** For emitters whose source is nested in another's (no handler of their own). */
const NO_SITE: Site = { next: 0, handler: '' };

/** GPR `r` as a signed number (exact below 2^53). */
const signedReg = (r: number) => `((R[${(r << 1) + 1}] | 0) * ${TWO32} + R[${r << 1}])`;

/**
 * `lin`: the memory operand's linear address in 64-bit mode (DS/ES/SS: no base); NaN where an
 * index could make the sum inexact. A non-canonical address needs no test of its own: a TLB
 * tag is a whole canonical page, so it misses and the handler raises the fault.
 */
function linearSource(i: DecodedInsn, site: Site): string {
  if (i.ripRelative) return `const lin = r + ${site.next + i.disp};`;
  // Registers as signed numbers: exact while below 2^53. Base + displacement is exact or far
  // from canonical; with an index, both terms must be below 2^52 or the handler computes it.
  if (i.index < 0) return `const lin = ${i.disp}${i.base >= 0 ? ` + ${site.base ?? signedReg(i.base)}` : ''};`;
  const bs = i.base >= 0 ? `const bs = ${signedReg(i.base)}; ` : '';
  const bsOk = i.base >= 0 ? ` && bs > -${2 ** 52} && bs < ${2 ** 52}` : '';
  const terms = [String(i.disp), ...(i.base >= 0 ? ['bs'] : []), 'xs'];
  return `${bs}const xs = ${signedReg(i.index)} * ${1 << i.scale}; const lin = xs > -${2 ** 52} && xs < ${2 ** 52}${bsOk} ? ${terms.join(' + ')} : NaN;`;
}

/** `attempt` (which sets `ok` when the TLB hit it needs was there), else the instruction's handler, then `after`. */
function orHandler(site: Site, attempt: string, after = ''): string {
  return `{ let ok = false; { ${attempt} } if (!ok) { ${site.handler}${after} } }`;
}

/**
 * The TLB test of an access of `size` bytes at `lin` (a hit lies within one page), which sets
 * `p`, the physical address, on a hit. The page the block's last read (CR, CRP) or write (CW,
 * CWP) hit is tried before the TLB slot: -O0 code goes to the same stack page again and again.
 * Only a handler changes the TLB, so every handler call forgets them (compiledSource), and
 * they hold exactly what the TLB would give. `rw`: a read-modify-write, which needs both hits.
 */
function hit(access: 'r' | 'w' | 'rw', size: number): string {
  const fill = {
    r: ['pl === CR', 'TR[x] === pl + K', 'CR = pl; CRP = PR[x]; p = CRP + o;'],
    w: ['pl === CW', 'TW[x] === pl + K', 'CW = pl; CWP = PW[x]; p = CWP + o;'],
    rw: ['pl === CW && pl === CR', 'TW[x] === pl + K && TR[x] === pl + K', 'CR = pl; CRP = PR[x]; CW = pl; CWP = PW[x]; p = CWP + o;'],
  }[access];
  return `const o = lin & 0xfff, pl = lin - o; let p = -1; if (o <= ${4096 - size}) { if (${fill[0]}) p = ${access === 'r' ? 'CRP' : 'CWP'} + o; `
    + `else { const x = ((lin >>> 12) ^ S) & ${TLB_SIZE - 1}; if (${fill[1]}) { ${fill[2]} } } } if (p >= 0)`;
}

const readValue = ['', 'M[p]', 'V.getUint16(p, true)', '', 'V.getUint32(p, true)', '', '', '', 'V.getUint32(p, true)'];

/** Load `size` bytes from the memory operand into vL (vH: the high half for size 8), then `body`. */
function load(i: DecodedInsn, size: number, site: Site, body: string): string {
  const vH = size === 8 ? 'V.getUint32(p + 4, true)' : '0';
  return orHandler(site, `${linearSource(i, site)} ${hit('r', size)} { const vL = ${readValue[size]}, vH = ${vH}; ${body} ok = true; }`);
}

/** Load the memory operand into vL/vH, run `body` (which stores through writeValue at p), when both TLBs hit. */
function update(i: DecodedInsn, size: number, site: Site, body: string): string {
  const vH = size === 8 ? 'V.getUint32(p + 4, true)' : '0';
  return orHandler(site, `${linearSource(i, site)} ${hit('rw', size)} { const vL = ${readValue[size]}, vH = ${vH}; ${body} ok = true; }`);
}

/** Store `size` bytes of (lo, hi) at linear `lin` on a write-TLB hit (code pages never hit: writes to them go the slow way). */
function writeValue(size: number, lo: string, hi: string): string {
  if (size === 1) return `M[p] = ${lo};`;
  if (size === 2) return `V.setUint16(p, ${lo}, true);`;
  if (size === 4) return `V.setUint32(p, ${lo}, true);`;
  return `V.setUint32(p, ${lo}, true); V.setUint32(p + 4, ${hi}, true);`;
}

function storeTo(i: DecodedInsn, size: number, site: Site, lo: string, hi: string): string {
  return orHandler(site, `${linearSource(i, site)} ${hit('w', size)} { ${writeValue(size, lo, hi)} ok = true; }`);
}

/** RSP (or RBP: `base` 10) moved by `delta` with the 64-bit wrap, into locals sl/sh. */
function stackSource(delta: number, base = 8): string {
  const move = delta < 0 ? `if (sl < 0) { sl += ${TWO32}; sh = (sh - 1) >>> 0; }` : `if (sl >= ${TWO32}) { sl -= ${TWO32}; sh = (sh + 1) >>> 0; }`;
  return `let sl = R[${base}] + ${delta}, sh = R[${base + 1}]; ${move}`;
}
/** `lin`: the stack slot at the address with halves lo/hi (not canonical, it misses the TLB: the handler raises #SS). */
const stackLinear = (lo: string, hi: string) => `const lin = (${hi} | 0) * ${TWO32} + ${lo};`;

/** PUSH r64 (SDM PUSH: the value before RSP moves, so PUSH RSP pushes the old RSP). */
function pushEmitter(r: number): Emitter {
  return {
    reads: 0, writes: 0, stores: true,
    code: (_n, site) => orHandler(site, `${stackSource(-8)} ${stackLinear('sl', 'sh')} ${hit('w', 8)} { ${writeValue(8, `R[${r << 1}]`, `R[${(r << 1) + 1}]`)} R[8] = sl; R[9] = sh; ok = true; }`),
  };
}

/** POP r64: read at RSP, move RSP, then write the register (POP RSP gets the value read). */
function popEmitter(r: number): Emitter {
  return {
    reads: 0, writes: 0,
    code: (_n, site) => orHandler(site, `${stackLinear('R[8]', 'R[9]')} ${hit('r', 8)} { const vL = V.getUint32(p, true), vH = V.getUint32(p + 4, true); ${stackSource(8)} R[8] = sl; R[9] = sh; R[${r << 1}] = vL; R[${(r << 1) + 1}] = vH; ok = true; }`),
  };
}

/** LEAVE: RSP = RBP, then POP RBP. */
function leaveEmitter(): Emitter {
  return {
    reads: 0, writes: 0,
    code: (_n, site) => orHandler(site, `${stackLinear('R[10]', 'R[11]')} ${hit('r', 8)} { const vL = V.getUint32(p, true), vH = V.getUint32(p + 4, true); ${stackSource(8, 10)} R[8] = sl; R[9] = sh; R[10] = vL; R[11] = vH; ok = true; }`),
  };
}

/** CALL rel: the target checked canonical (#GP) before the return address is pushed. */
function callEmitter(i: DecodedInsn): Emitter {
  return {
    reads: 0, writes: 0, ends: true, stores: true,
    code: (_n, site) => `let nx = r + ${site.next + i.imm}; ` + orHandler(site, `if (nx >= -${CANON} && nx < ${CANON}) { ${stackSource(-8)} ${stackLinear('sl', 'sh')} ${hit('w', 8)} { const ret = r + ${site.next}; ${writeValue(8, `((ret % ${TWO32}) + ${TWO32}) % ${TWO32}`, `Math.floor(ret / ${TWO32}) >>> 0`)} R[8] = sl; R[9] = sh; ok = true; } }`, ' nx = c.nextRip;'),
  };
}

/** RET: the return address read at RSP and checked canonical (#GP) before RSP moves. */
function retEmitter(): Emitter {
  return {
    reads: 0, writes: 0, ends: true,
    code: (_n, site) => 'let nx = 0; ' + orHandler(site, `${stackLinear('R[8]', 'R[9]')} ${hit('r', 8)} { const t = (V.getUint32(p + 4, true) | 0) * ${TWO32} + V.getUint32(p, true); if (t >= -${CANON} && t < ${CANON}) { ${stackSource(8)} R[8] = sl; R[9] = sh; nx = t; ok = true; } }`, ' nx = c.nextRip;'),
  };
}

/**
 * The emitter for instruction `i` (handler `name`, at `next` bytes past the block's start once
 * it retires), or undefined: it runs by its handler. Register and memory forms (64-bit
 * addressing without an FS/GS base); 8/16-bit shifts and multiplies, RCL/RCR, MUL, memory
 * shifts and divisors, string instructions, indirect branches and the rarer forms keep their
 * handlers.
 */
function emitterFor(name: string, i: DecodedInsn, next: number): Emitter | undefined {
  const s = i.opsize, rex = i.rex, regForm = i.hasModrm && i.mod === 3;
  const operand = (size: number, r: number) => ({ lo: reg(size, r, rex), hi: size === 8 ? regHi(r) : '0' });
  const imm = (size: number) => ({ lo: String(immLo(i, size)), hi: String(immHi(i, size)) });
  const store = (size: number, r: number) => (lo: string, hi: string) => setReg(size, r, rex, lo, hi);
  const pure = (code: string): Emitter => ({ reads: 0, writes: 0, code: () => `{ ${code} }` });
  const memForm = i.hasModrm && i.mod !== 3 && i.addrsize === 8 && i.seg < Seg.FS; // FS/GS bases: the handler
  const v = { lo: 'vL', hi: 'vH' }; // a loaded operand
  /** The instruction with a memory source: `body` runs on the loaded value (vL, vH) after a TLB hit. */
  const loading = (size: number, reads: number, writes: number, body: (needed: number) => string): Emitter | undefined =>
    memForm ? { reads, writes, code: (needed, site) => load(i, size, site, body(needed)) } : undefined;
  /** A read-modify-write of the memory operand, written out only where both the read and the write hit the TLB (then neither can fault). */
  const updating = (size: number, e: Emitter): Emitter | undefined =>
    memForm ? { reads: e.reads, writes: e.writes, stores: true, code: (needed, site) => update(i, size, site, e.code(needed, NO_SITE)) } : undefined;
  switch (name) {
    case 'aluEG': case 'aluGE': {
      const op = i.opcode >> 3;
      if (!regForm) {
        if (name === 'aluEG' && op !== 7) return updating(s, aluEmitter(op, s, v, operand(s, i.reg), (lo, hi) => writeValue(s, lo, hi)));
        const e = name === 'aluEG' ? aluEmitter(op, s, v, operand(s, i.reg), undefined) : aluEmitter(op, s, operand(s, i.reg), v, op === 7 ? undefined : store(s, i.reg));
        return loading(s, e.reads, e.writes, (needed) => e.code(needed, NO_SITE));
      }
      const [d, src] = name === 'aluEG' ? [i.rm, i.reg] : [i.reg, i.rm];
      return aluEmitter(op, s, operand(s, d), operand(s, src), op === 7 ? undefined : store(s, d));
    }
    case 'aluEI': {
      const op = i.reg & 7;
      if (!regForm) {
        if (op !== 7) return updating(s, aluEmitter(op, s, v, imm(s), (lo, hi) => writeValue(s, lo, hi)));
        const e = aluEmitter(op, s, v, imm(s), undefined);
        return loading(s, e.reads, e.writes, (needed) => e.code(needed, NO_SITE));
      }
      return aluEmitter(op, s, operand(s, i.rm), imm(s), op === 7 ? undefined : store(s, i.rm));
    }
    case 'aluAI': {
      const op = i.opcode >> 3;
      return aluEmitter(op, s, operand(s, 0), imm(s), op === 7 ? undefined : store(s, 0));
    }
    case 'testEG': case 'testEI': {
      const b = name === 'testEG' ? operand(s, i.reg) : imm(s);
      if (regForm) return aluEmitter(4, s, operand(s, i.rm), b, undefined);
      const e = aluEmitter(4, s, v, b, undefined);
      return loading(s, e.reads, e.writes, (needed) => e.code(needed, NO_SITE));
    }
    case 'testAI': return aluEmitter(4, s, operand(s, 0), imm(s), undefined);
    case 'incDecE': {
      const dec = (i.reg & 7) === 1;
      if (regForm) return s >= 4 ? incDecEmitter(dec, s, operand(s, i.rm), store(s, i.rm)) : undefined;
      const e = incDecEmitter(dec, s, v, (lo, hi) => writeValue(s, lo, hi));
      return updating(s, e);
    }
    case 'leave': return s === 8 ? leaveEmitter() : undefined;
    case 'shift': {
      const op = i.reg & 7;
      if (!regForm || s < 4 || op === 2 || op === 3) return undefined; // RCL/RCR: the handler
      if (i.opcode === 0xd3) return shiftEmitter(op, s, i.rm, undefined);
      const c = (i.opcode === 0xd1 ? 1 : i.imm & 0xff) & (s === 8 ? 0x3f : 0x1f);
      if (c === 0) return pure(s === 4 ? `R[${(i.rm << 1) + 1}] = 0;` : ''); // flags and value unchanged; a 32-bit write still zero-extends
      return shiftEmitter(op, s, i.rm, c);
    }
    case 'movEG': case 'movGE': {
      if (!regForm) {
        if (name === 'movGE') return loading(s, 0, 0, () => setReg(s, i.reg, rex, 'vL', 'vH'));
        if (!memForm) return undefined;
        const src = operand(s, i.reg);
        return { reads: 0, writes: 0, stores: true, code: (_n, site) => storeTo(i, s, site, src.lo, src.hi) };
      }
      const [d, src] = name === 'movEG' ? [i.rm, i.reg] : [i.reg, i.rm];
      const val = operand(s, src);
      return pure(`const lo = ${val.lo}, hi = ${val.hi}; ${setReg(s, d, rex, 'lo', 'hi')}`);
    }
    case 'movZI': return pure(s === 8 ? setReg(8, i.opReg, rex, String(i.imm >>> 0), String(i.immHi)) : setReg(s, i.opReg, rex, String(immLo(i, s)), '0'));
    case 'movEI': {
      if (regForm) return pure(setReg(s, i.rm, rex, String(immLo(i, s)), String(immHi(i, s))));
      if (!memForm) return undefined;
      return { reads: 0, writes: 0, stores: true, code: (_n, site) => storeTo(i, s, site, String(immLo(i, s)), String(immHi(i, s))) };
    }
    case 'lea': {
      if (i.addrsize === 2 || s === 2) return undefined;
      const hi = s === 8 && i.addrsize === 8 ? 'hi' : '0';
      return pure(`${leaSource(i, next)} ${setReg(s, i.reg, rex, 'lo', hi)}`);
    }
    case 'movzx': {
      const from = i.opcode === 0xb6 ? 1 : 2;
      if (!regForm) return loading(from, 0, 0, () => setReg(s, i.reg, rex, 'vL', '0'));
      return pure(`const v = ${reg(from, i.rm, rex)}; ${setReg(s, i.reg, rex, 'v', '0')}`);
    }
    case 'movsx': {
      const from = i.opcode === 0xbe ? 1 : 2;
      const extend = (x: string) => `const v = ((${x} << ${32 - 8 * from}) >> ${32 - 8 * from}); ${setReg(s, i.reg, rex, s === 2 ? '(v & 0xffff)' : '(v >>> 0)', '(v < 0 ? 0xffffffff : 0)')}`;
      if (!regForm) return loading(from, 0, 0, () => extend('vL'));
      return pure(extend(reg(from, i.rm, rex)));
    }
    case 'movsxd': {
      if (s !== 8) return undefined;
      const extend = (x: string) => `const v = ${x}; R[${i.reg << 1}] = v; R[${(i.reg << 1) + 1}] = (v & 0x80000000) !== 0 ? 0xffffffff : 0;`;
      if (!regForm) return loading(4, 0, 0, () => extend('vL'));
      return pure(extend(`R[${i.rm << 1}]`));
    }
    // CBW/CWDE/CDQE and CWD/CDQ/CQO: sign-extend AL/AX/EAX/RAX in place or into DX/EDX/RDX.
    case 'cbw':
      if (s === 2) return pure(setReg(2, 0, rex, '(((R[0] << 24) >> 24) & 0xffff)', '0'));
      if (s === 4) return pure(setReg(4, 0, rex, '(((R[0] << 16) >> 16) >>> 0)', '0'));
      return pure('R[1] = (R[0] & 0x80000000) !== 0 ? 0xffffffff : 0;');
    case 'cwd': {
      const sign = s === 2 ? '((R[0] & 0x8000) !== 0 ? 0xffff : 0)' : `((R[${s === 4 ? 0 : 1}] & 0x80000000) !== 0 ? 0xffffffff : 0)`;
      return pure(`const v = ${sign}; ${setReg(s, 2, rex, 'v', 'v')}`);
    }
    // VMREAD/VMWRITE between registers: VMsucceed clears the status flags; any other outcome
    // (VMfail, #UD, #GP, a VM exit) is the handler's.
    case 'vmread': case 'vmwrite': {
      if (!regForm) return undefined;
      const f = i.reg << 1, e = i.rm << 1;
      const fast = name === 'vmread' ? `c.vmx.vmreadSucceeds(R[${f}], R[${f + 1}])` : `c.vmx.vmwriteSucceeds(R[${f}], R[${f + 1}], R[${e}], R[${e + 1}])`;
      const result = name === 'vmread' ? `R[${e}] = H[0]; R[${e + 1}] = H[1]; ` : '';
      return {
        reads: 0, writes: STATUS,
        code: (needed, site) => `if (c.vmx !== undefined && ${fast}) { ${result}${needed & STATUS ? `F = F & ${~STATUS};` : ''} } else { ${site.handler} }`,
      };
    }
    case 'mulDiv': {
      const op = i.reg & 7;
      if (!regForm || s < 4 || op < 6) return undefined; // MUL/IMUL of RAX, memory divisors: the handler
      return divEmitter(op === 7, s, i.rm);
    }
    case 'imul2': case 'imul3': {
      if (s < 4) return undefined;
      const other = name === 'imul2' ? operand(s, i.reg) : imm(s);
      if (!regForm) return loading(s, 0, CF | OF, (needed) => imulCode(s, i.reg, other, v, needed));
      return { reads: 0, writes: CF | OF, code: (needed) => `{ ${imulCode(s, i.reg, other, operand(s, i.rm), needed)} }` };
    }
    case 'pushZ': return s === 8 ? pushEmitter(i.opReg) : undefined;
    case 'popZ': return s === 8 ? popEmitter(i.opReg) : undefined;
    case 'callNear': return s === 8 ? callEmitter(i) : undefined;
    case 'retNear': return s === 8 && i.opcode === 0xc3 ? retEmitter() : undefined;
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

/** A direct JMP inside a block (blocks.ts followInBlock). */
const THROUGH: Emitter = { reads: 0, writes: 0, code: () => '' };

/** Jcc/JMP rel: the end of a block written out (the target is canonical-checked as branch() does). */
function isDirectBranch(name: string): boolean { return name === 'jcc' || name === 'jmpNear'; }

/**
 * Source of the BlockRun `function block(c, st, r, ic, gens, g, lim)` for block `b`, built
 * with new Function('P', 'X', 'H', 'I', 'L', 'D', 'T', source) (P: the parity table, X: handlerAt,
 * H: HALVES, I: imul64, L: mul64Low, D: divideFast, T: retireChainEnd). It reads its handlers, decoded
 * instructions and page from `this` (the Block), so blocks of the same code share one
 * function, and what V8 learned running it in one machine serves the next.
 */
export function compiledSource(b: Block): string {
  const n = b.length;
  const insns = b.insns, names = b.names;
  // A JMP the block goes through needs no code: the next instruction written out is its target.
  const emitters = insns.map((i, k) => (k === n - 1 && isDirectBranch(names[k]) ? undefined
    : k < n - 1 && names[k] === 'jmpNear' ? THROUGH : emitterFor(names[k], i, b.deltas[k] + i.length)));
  /** A Jcc taken, or a CALL or RET whose next RIP is not the next instruction's (a RET elsewhere), leaves the block inside it. */
  const sideExit = (k: number) => k < n - 1 && (names[k] === 'jcc' || emitters[k]?.ends === true);
  const branchEnd = isDirectBranch(names[n - 1]);
  const loops = b.loops;
  // A second page (blocks.ts): the transfer there leaves the block when the execute TLB no longer maps it as it did.
  const cross = b.cross, twoPages = cross < n;

  // Flags live after each instruction, backwards from the exit (where all are live).
  const liveAfter: number[] = new Array<number>(n);
  let live = STATUS;
  for (let k = n - 1; k >= 0; k--) {
    if (sideExit(k) || k + 1 === cross) live = STATUS;
    liveAfter[k] = live;
    const e = emitters[k];
    if (k === n - 1 && branchEnd) {
      if (names[k] === 'jcc') live |= COND_READS[(insns[k].opcode & 15) >> 1];
    } else if (e === undefined || b.committed[k]) live = STATUS; // its handler, or a fault's delivery, sees CpuState's RFLAGS
    else live = (live & ~e.writes) | e.reads;
  }

  const out: string[] = [];
  out.push("'use strict'; return function block(c, st, r, ic, gens, g, lim) {");
  out.push(twoPages ? 'const pg = this.phys >>> 12, pg2 = this.page2, g2 = this.gen2;' : 'const pg = this.phys >>> 12;');
  out.push('const R = c.r32, M = c.mem, V = c.view, TR = c.tagR, PR = c.physR, TW = c.tagW, PW = c.physW, K = c.tagKey, S = c.tlbSalt, ic0 = ic;');
  out.push('let F = st.getRflags();');
  out.push('let CR = NaN, CRP = 0, CW = NaN, CWP = 0;');
  if (loops) out.push('for (;;) {');
  let dirty = loops; // a second round starts with F ahead of CpuState
  const sync = () => (dirty ? 'st.setRflags(F); ' : '');
  /** Leave after `retired` instructions with RIP `rip` (an expression); `synced`: right after a handler, RFLAGS is CpuState's. */
  const leave = (retired: number, rip: string, synced = false) => `${synced ? '' : sync()}st.icount = ic + ${retired}; st.setRipNum(${rip}); return ic + ${retired} - ic0;`;
  /** After instruction `k` ran by its handler: a write to one of the block's pages ends the block there. */
  const codeWritten = (k: number) => `if (gens[pg] !== g${twoPages ? ' || gens[pg2] !== g2' : ''}) { ${leave(k + 1, 'c.nextRip', true)} }`;
  // A memory operand's base register (RBP in -O0 code), as a signed number, computed once and
  // used by the following instructions until one writes the register (its code assigns R[...]),
  // or any instruction runs by its handler.
  const bases = new Map<number, string>();
  const forgetWritten = (code: string) => {
    for (const m of code.matchAll(/R\[(\d+)\] = /g)) bases.delete(Number(m[1]) >> 1);
  };
  for (let k = 0; k < n; k++) {
    const i = insns[k], d = b.deltas[k], len = i.length;
    const e = emitters[k];
    if (k === cross) out.push(`if (!c.fetchMaps(r + ${d}, pg2)) { ${leave(k, `r + ${d}`)} }`);
    let base: string | undefined;
    if (e !== undefined && i.hasModrm && i.mod !== 3 && !i.ripRelative && i.base >= 0 && i.index < 0) {
      base = bases.get(i.base);
      if (base === undefined) {
        base = `B${k}`;
        out.push(`const ${base} = ${signedReg(i.base)};`);
        bases.set(i.base, base);
      }
    }
    // Run by its handler (X: handlerAt, which commits RIP, the retired count and RFLAGS first, as
    // step() would show them to a fault or VM exit), out of line.
    const handler = `F = X(this, c, st, ${k}, r, ic, F); CR = NaN; CW = NaN;`;
    const target = d + len + i.imm;
    // A branch target must be canonical (SDM Jcc/JMP: #GP(0)); the handler raises it.
    const check = `if (t < -${CANON} || t >= ${CANON}) { ${handler} }`;
    if (k < n - 1 && names[k] === 'jcc') {
      out.push(`if ${condExpr(i.opcode & 15)} { const t = r + ${target}; ${check} ${leave(k + 1, 't')} }`);
      continue;
    }
    if (k === n - 1 && branchEnd) {
      const taken = loops
        ? `{ if (ic + ${2 * n} <= lim) { ic += ${n}; continue; } ${leave(n, 'r')} }`
        : `{ const t = r + ${target}; ${check} ${leave(n, 't')} }`;
      if (names[k] === 'jcc') out.push(`if ${condExpr(i.opcode & 15)} ${taken}`, leave(n, `r + ${d + len}`));
      else out.push(taken);
      continue;
    }
    if (e !== undefined) {
      // Only the handler can fault or write a code page (the TLB hits written out neither fault
      // nor reach pages holding code), so the code-write check goes with it.
      const codeCheck = e.stores && k < n - 1 ? ` ${codeWritten(k)}` : '';
      const code = e.code(liveAfter[k], { next: d + len, handler: `${handler}${codeCheck}`, base });
      forgetWritten(code);
      if (e.writes & liveAfter[k]) dirty = true;
      if (sideExit(k)) out.push(`{ ${code} if (nx !== r + ${b.deltas[k + 1]}) { ${leave(k + 1, 'nx')} } }`);
      else out.push(code);
      if (e.ends && k === n - 1) out.push(leave(n, 'nx'));
      else if (k === n - 1) out.push(leave(n, `r + ${d + len}`));
      continue;
    }
    out.push(handler);
    bases.clear();
    dirty = false;
    if (k === n - 1) out.push(b.endsChain ? `T(c, st, ic + ${n}); return ic + ${n} - ic0;` : leave(n, 'c.nextRip', true));
    else if (b.committed[k]) out.push(codeWritten(k));
  }
  if (loops) out.push('}');
  out.push('};');
  return out.join('\n');
}
