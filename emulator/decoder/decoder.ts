// x86-64 instruction decoder (Intel SDM vol. 2 ch. 2: legacy prefixes, REX, opcode maps,
// ModRM/SIB, displacement, immediates). Decodes into a reused DecodedInsn, never allocates
// per instruction and never throws: bad or truncated bytes set `error`. Driven entirely by
// the rows of opcodeTable.ts. Shared by the interpreter (cpu/) and the disassembler (disasm/).

import { OPCODES, OpFlag, OpMap, MandatoryPrefix, type OpcodeEntry } from './opcodeTable';

export const enum DecodeError { None = 0, Invalid = 1, Truncated = 2, TooLong = 3 }

/** Prefix bits in DecodedInsn.prefixes. */
export const enum Prefix { Lock = 1, Rep = 2, Repne = 4, OpSize = 8, AddrSize = 16 }

/** Segment register numbers (SDM Sreg encoding, same as cpu/state.ts Seg). */
const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

/** One decoded instruction. Fields are plain numbers so one object is reused for every decode. */
export class DecodedInsn {
  error: DecodeError = DecodeError.None;
  /** Index into OPCODES, or -1 when error != None. */
  id = -1;
  entry: OpcodeEntry | undefined = undefined;
  /** Bytes consumed (valid when error is None, also for Invalid as far as decoded). */
  length = 0;
  map: OpMap = OpMap.One;
  opcode = 0;
  /** Effective operand size in bytes: 1, 2, 4 or 8. */
  opsize = 4;
  /** Effective address size in bytes: 2, 4 or 8. */
  addrsize = 8;
  /** REX byte (0x40-0x4f) or 0 when absent. */
  rex = 0;
  /** Prefix bits (Prefix enum). */
  prefixes = 0;
  /** Segment override prefix (0-5) or -1. */
  segOverride = -1;
  /** Segment of the memory operand: the override, else SS for RBP/RSP-based forms, else DS. */
  seg = DS;
  hasModrm = false;
  mod = 0;
  /** ModRM.reg extended by REX.R (0-15). */
  reg = 0;
  /** ModRM.rm extended by REX.B (0-15); for mod != 3 only meaningful via base/index. */
  rm = 0;
  /** Memory operand: base register (0-15) or -1; index register or -1; scale as shift count 0-3. */
  base = -1;
  index = -1;
  scale = 0;
  /** Signed displacement (sign-extended 8/16/32-bit). */
  disp = 0;
  /** RIP-relative memory operand (64-bit mode, mod = 0, rm = 5). */
  ripRelative = false;
  /** Register encoded in opcode bits 2:0 (Z operands), extended by REX.B. */
  opReg = 0;
  /**
   * First immediate or relative offset. Ib/Iz/Jb/Jz: sign-extended JS number; Iw: unsigned;
   * Iv: low 32 bits unsigned, high 32 in immHi; Ob/Ov (moffs): address low/high halves.
   */
  imm = 0;
  immHi = 0;
  /** Second immediate (ENTER's Ib, or the Ib of 'Ev,Gv,Ib'). */
  imm2 = 0;
  /** Offset of the displacement / first immediate within the instruction (VM-exit and disasm use). */
  dispOffset = 0;
  immOffset = 0;

  get hasMem(): boolean { return this.hasModrm && this.mod !== 3; }
}

/** 16-bit addressing forms (SDM Table 2-1): base and index register per ModRM.rm. */
const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3], INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1];

const enum ImmKind { None = 0, Ib = 1, Iw = 2, Iz = 3, Iv = 4, Jb = 5, Jz = 6, O = 7, Offset = 8 }
/** Up to two immediate kinds per row, from its operand list (SDM A.2.1: I, J, O operands). */
const IMM_KIND = new Int8Array(OPCODES.length * 2);
for (const e of OPCODES) {
  let k = 0;
  for (const op of e.operands.split(',')) {
    // Ap (far pointer): offset of the operand size, then a 16-bit selector (in imm2).
    if (op === 'Ap') { IMM_KIND[(e.id << 1)] = ImmKind.Offset; IMM_KIND[(e.id << 1) + 1] = ImmKind.Iw; k = 2; continue; }
    const kind = op === 'Ib' ? ImmKind.Ib : op === 'Iw' ? ImmKind.Iw : op === 'Iz' ? ImmKind.Iz : op === 'Iv' ? ImmKind.Iv
      : op === 'Jb' ? ImmKind.Jb : op === 'Jz' ? ImmKind.Jz : op[0] === 'O' ? ImmKind.O : ImmKind.None;
    if (kind !== ImmKind.None) IMM_KIND[(e.id << 1) + k++] = kind;
  }
}

/** Per (map, opcode): whether a ModRM byte follows and the candidate rows. */
interface OpcodeSlot { modrm: boolean; rows: OpcodeEntry[] }

const slots: (OpcodeSlot | undefined)[] = new Array(4 * 256);
const MODRM_OPERAND = /(^|,)([EGMR][a-z]*|Sw|Cd|Dd)(,|$)/;
for (const e of OPCODES) {
  const k = (e.map << 8) | e.opcode;
  const s = slots[k] ?? (slots[k] = { modrm: false, rows: [] });
  if (MODRM_OPERAND.test(e.operands) || e.ext >= 0) s.modrm = true;
  s.rows.push(e);
}
// Prefer the most specific rows: full-ModRM (rm) rows, then mandatory-prefix rows, then ModRM.reg rows.
for (const s of slots) {
  if (!s) continue;
  s.rows.sort((a, b) => spec(b) - spec(a));
}
function spec(e: OpcodeEntry): number {
  return (e.rm >= 0 ? 8 : 0) + (e.prefix !== MandatoryPrefix.None ? 4 : 0) + (e.ext >= 0 ? 2 : 0) + (e.flags & (OpFlag.MemOnly | OpFlag.RegOnly) ? 1 : 0);
}

function match(e: OpcodeEntry, pfx: MandatoryPrefix, mod: number, reg: number, rm: number): boolean {
  if (e.prefix !== MandatoryPrefix.None && e.prefix !== pfx) return false;
  if (e.ext >= 0 && e.ext !== reg) return false;
  if (e.rm >= 0 && (mod !== 3 || e.rm !== rm)) return false;
  if ((e.flags & OpFlag.MemOnly) && mod === 3) return false;
  if ((e.flags & OpFlag.RegOnly) && mod !== 3) return false;
  return true;
}

/**
 * Decode one instruction from `bytes[offset .. offset+available)`.
 * `mode64`: 64-bit mode; otherwise `defaultSize` (2 or 4) is CS.D's default operand/address size.
 */
export function decode(insn: DecodedInsn, bytes: Uint8Array, offset: number, available: number, mode64: boolean, defaultSize: 2 | 4 = 4): void {
  insn.error = DecodeError.None;
  insn.id = -1;
  insn.entry = undefined;
  insn.rex = 0;
  insn.prefixes = 0;
  insn.segOverride = -1;
  insn.hasModrm = false;
  insn.mod = 0; insn.reg = 0; insn.rm = 0;
  insn.base = -1; insn.index = -1; insn.scale = 0; insn.disp = 0; insn.ripRelative = false;
  insn.imm = 0; insn.immHi = 0; insn.imm2 = 0; insn.opReg = 0;
  insn.dispOffset = 0; insn.immOffset = 0;

  const limit = available < 15 ? available : 15;
  let p = 0;
  let lastRepPrefix = 0; // 0xf2 / 0xf3: the last one decides a mandatory prefix (SDM 2.1.1 note)
  let b = 0;
  // Legacy prefixes, then REX (which must come last to count, SDM 2.2.1).
  for (;;) {
    if (p >= limit) return fail(insn, p + 1, available);
    b = bytes[offset + p];
    let isPrefix = true;
    switch (b) {
      case 0xf0: insn.prefixes |= Prefix.Lock; break;
      case 0xf2: insn.prefixes |= Prefix.Repne; lastRepPrefix = b; break;
      case 0xf3: insn.prefixes |= Prefix.Rep; lastRepPrefix = b; break;
      case 0x66: insn.prefixes |= Prefix.OpSize; break;
      case 0x67: insn.prefixes |= Prefix.AddrSize; break;
      case 0x26: insn.segOverride = mode64 ? insn.segOverride : ES; break;
      case 0x2e: insn.segOverride = mode64 ? insn.segOverride : CS; break;
      case 0x36: insn.segOverride = mode64 ? insn.segOverride : SS; break;
      case 0x3e: insn.segOverride = mode64 ? insn.segOverride : DS; break;
      case 0x64: insn.segOverride = FS; break;
      case 0x65: insn.segOverride = GS; break;
      default: isPrefix = false;
    }
    if (!isPrefix) {
      if (mode64 && (b & 0xf0) === 0x40) { insn.rex = b; p++; continue; }
      break;
    }
    insn.rex = 0; // a legacy prefix after REX cancels it
    p++;
  }
  // Opcode bytes.
  let map = OpMap.One;
  p++;
  if (b === 0x0f) {
    if (p >= limit) return fail(insn, p + 1, available);
    b = bytes[offset + p++];
    map = OpMap.Two;
    if (b === 0x38 || b === 0x3a) {
      map = b === 0x38 ? OpMap.Three38 : OpMap.Three3A;
      if (p >= limit) return fail(insn, p + 1, available);
      b = bytes[offset + p++];
    }
  }
  insn.map = map;
  insn.opcode = b;
  const rex = insn.rex;
  insn.opReg = (b & 7) | ((rex & 1) << 3);
  const slot = slots[(map << 8) | b];
  if (!slot) return invalid(insn, p);

  let mod = 3, reg = 0, rmRaw = 0;
  if (slot.modrm) {
    if (p >= limit) return fail(insn, p + 1, available);
    const m = bytes[offset + p++];
    mod = m >> 6; reg = (m >> 3) & 7; rmRaw = m & 7;
    insn.hasModrm = true;
    insn.mod = mod;
    insn.reg = reg | ((rex & 4) << 1);
    insn.rm = rmRaw | ((rex & 1) << 3);
  }
  // Pick the row. Mandatory prefix candidate: last F2/F3, else 66 (SDM 2.1.1, 3.1.1.1).
  const mp = lastRepPrefix === 0xf3 ? MandatoryPrefix.PF3 : lastRepPrefix === 0xf2 ? MandatoryPrefix.PF2
    : (insn.prefixes & Prefix.OpSize) ? MandatoryPrefix.P66 : MandatoryPrefix.None;
  let entry: OpcodeEntry | undefined;
  const rows = slot.rows;
  for (let i = 0; i < rows.length; i++) {
    if (match(rows[i], mp, mod, reg, rmRaw)) { entry = rows[i]; break; }
  }
  if (!entry) return invalid(insn, p);
  const f = entry.flags;
  if (f & OpFlag.ModIgnored) { mod = 3; insn.mod = 3; }
  if (mode64 ? (f & OpFlag.I64) : (f & OpFlag.O64)) return invalid(insn, p);
  if ((insn.prefixes & Prefix.Lock) && (!(f & OpFlag.Lockable) || mod === 3)) return invalid(insn, p); // #UD (SDM LOCK)
  if ((f & OpFlag.NoPrefix) && (insn.prefixes & (Prefix.OpSize | Prefix.Rep | Prefix.Repne))) return invalid(insn, p);

  // Operand and address size (SDM 3.6, Table 3-4; 64-bit: 2.2.1.2).
  const opsizePrefix = (insn.prefixes & Prefix.OpSize) !== 0 && entry.prefix !== MandatoryPrefix.P66;
  let opsize: number;
  if (f & OpFlag.Byte) opsize = 1;
  else if (mode64) {
    if (f & OpFlag.F64) opsize = 8;
    else if (rex & 8) opsize = 8;
    else if (opsizePrefix) opsize = 2;
    else opsize = (f & OpFlag.D64) ? 8 : 4;
  } else opsize = opsizePrefix ? 6 - defaultSize : defaultSize;
  insn.opsize = opsize;
  const addrPrefix = (insn.prefixes & Prefix.AddrSize) !== 0;
  const addrsize = mode64 ? (addrPrefix ? 4 : 8) : addrPrefix ? 6 - defaultSize : defaultSize;
  insn.addrsize = addrsize;
  insn.seg = insn.segOverride >= 0 ? insn.segOverride : DS;

  // Memory operand (SDM 2.1.5 tables 2-1..2-3, 2.2.1.6 RIP-relative).
  if (slot.modrm && mod !== 3) {
    if (addrsize === 2) {
      if (mod === 0 && rmRaw === 6) {
        insn.dispOffset = p;
        if (p + 2 > limit) return fail(insn, p + 2, available);
        insn.disp = (bytes[offset + p] | (bytes[offset + p + 1] << 8)) << 16 >> 16; p += 2;
      } else {
        insn.base = BASE16[rmRaw]; insn.index = INDEX16[rmRaw];
        if (insn.segOverride < 0 && (rmRaw === 2 || rmRaw === 3 || rmRaw === 6)) insn.seg = SS;
      }
      if (mod === 1) { insn.dispOffset = p; if (p + 1 > limit) return fail(insn, p + 1, available); insn.disp = (bytes[offset + p] << 24) >> 24; p += 1; }
      else if (mod === 2) { insn.dispOffset = p; if (p + 2 > limit) return fail(insn, p + 2, available); insn.disp = (bytes[offset + p] | (bytes[offset + p + 1] << 8)) << 16 >> 16; p += 2; }
    } else {
      let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      if (rmRaw === 4) {
        if (p >= limit) return fail(insn, p + 1, available);
        const sib = bytes[offset + p++];
        const ss = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) << 2), bs = sib & 7;
        insn.scale = ss;
        insn.index = idx === 4 ? -1 : idx;
        if (bs === 5 && mod === 0) { insn.base = -1; dispBytes = 4; }
        else insn.base = bs | ((rex & 1) << 3);
      } else if (rmRaw === 5 && mod === 0) {
        dispBytes = 4;
        if (mode64) insn.ripRelative = true;
      } else insn.base = rmRaw | ((rex & 1) << 3);
      if (insn.segOverride < 0 && (insn.base === 4 || insn.base === 5)) insn.seg = SS;
      if (dispBytes) {
        insn.dispOffset = p;
        if (p + dispBytes > limit) return fail(insn, p + dispBytes, available);
        insn.disp = dispBytes === 1 ? (bytes[offset + p] << 24) >> 24
          : bytes[offset + p] | (bytes[offset + p + 1] << 8) | (bytes[offset + p + 2] << 16) | (bytes[offset + p + 3] << 24);
        p += dispBytes;
      }
    }
  }

  // Immediates (kinds precomputed from the operand list).
  const base2 = entry.id << 1;
  for (let k = 0; k < 2; k++) {
    const kind = IMM_KIND[base2 + k];
    if (kind === ImmKind.None) break;
    let n: number;
    switch (kind) {
      case ImmKind.Ib: case ImmKind.Jb: n = 1; break;
      case ImmKind.Iw: n = 2; break;
      case ImmKind.Iz: n = opsize === 2 ? 2 : 4; break;
      case ImmKind.Iv: n = opsize; break;
      case ImmKind.Jz: n = opsize === 2 && !mode64 ? 2 : 4; break;
      case ImmKind.Offset: n = opsize === 2 ? 2 : 4; break;
      default: n = addrsize;
    }
    if (p + n > limit) return fail(insn, p + n, available);
    const o = offset + p;
    let lo: number, hi = 0;
    if (n === 1) lo = bytes[o];
    else if (n === 2) lo = bytes[o] | (bytes[o + 1] << 8);
    else {
      lo = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
      if (n === 8) hi = (bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16) | (bytes[o + 7] << 24)) >>> 0;
    }
    const signed = kind === ImmKind.Ib || kind === ImmKind.Iz || kind === ImmKind.Jb || kind === ImmKind.Jz;
    if (signed) lo = n === 1 ? (lo << 24) >> 24 : n === 2 ? (lo << 16) >> 16 : lo | 0;
    if (k === 0) { insn.imm = lo; insn.immHi = hi; insn.immOffset = p; }
    else insn.imm2 = signed ? lo & 0xff : lo;
    p += n;
  }
  if (p > 15) { insn.length = p; insn.error = DecodeError.TooLong; return; }
  insn.length = p;
  insn.id = entry.id;
  insn.entry = entry;
}

function fail(insn: DecodedInsn, needed: number, available: number): void {
  insn.length = needed;
  insn.error = available < 15 && needed > available ? DecodeError.Truncated : DecodeError.TooLong;
  insn.id = -1;
  insn.entry = undefined;
}

function invalid(insn: DecodedInsn, p: number): void {
  insn.length = p;
  insn.error = DecodeError.Invalid;
  insn.id = -1;
  insn.entry = undefined;
}
