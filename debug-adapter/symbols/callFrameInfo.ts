// Call frame information: CIEs and FDEs from .debug_frame (DWARF 5 section 6.4) and
// .eh_frame (LSB 5.0 "Exception Frames": 'z', 'R', 'P', 'L', 'S' augmentations and DW_EH_PE
// pointer encodings), and execution of the DW_CFA_* program into the row for a given pc.

import type { DwarfSections } from './dwarfSections';
import { ByteReader } from './reader';

export type CfaRule =
  | { kind: 'register'; reg: number; offset: bigint }
  | { kind: 'expression'; expr: Uint8Array };

export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  | { kind: 'offset'; offset: bigint }          // saved at CFA+offset
  | { kind: 'valOffset'; offset: bigint }       // value is CFA+offset
  | { kind: 'register'; reg: number }
  | { kind: 'expression'; expr: Uint8Array }     // saved at address computed from CFA
  | { kind: 'valExpression'; expr: Uint8Array };

export interface CfiRow { location: bigint; cfa: CfaRule; registers: Map<number, RegisterRule> }

interface Cie {
  codeAlign: bigint;
  dataAlign: bigint;
  returnRegister: number;
  fdeEncoding: number;
  addressSize: number;
  hasAugmentationData: boolean;
  initialInstructions: Uint8Array;
}

export interface Fde { cie: Cie; low: bigint; high: bigint; instructions: Uint8Array; source: '.eh_frame' | '.debug_frame' }

const DW_EH_PE_omit = 0xff;

function readEncoded(r: ByteReader, enc: number, sectionAddress: bigint, addressSize: number): bigint {
  if (enc === DW_EH_PE_omit) return 0n;
  const fieldAddress = sectionAddress + BigInt(r.offset);
  let v: bigint;
  switch (enc & 0x0f) {
    case 0x00: v = r.uSized(addressSize); break;
    case 0x01: v = r.uleb(); break;
    case 0x02: v = BigInt(r.u16()); break;
    case 0x03: v = BigInt(r.u32()); break;
    case 0x04: v = r.u64(); break;
    case 0x09: v = r.sleb(); break;
    case 0x0a: v = BigInt(r.i16()); break;
    case 0x0b: v = BigInt(r.i32()); break;
    case 0x0c: v = r.i64(); break;
    default: throw new Error(`.eh_frame: unsupported pointer encoding 0x${enc.toString(16)}`);
  }
  if ((enc & 0x70) === 0x10) v += fieldAddress;   // DW_EH_PE_pcrel
  return BigInt.asUintN(64, v);
}

/** All FDEs of one section. `eh` selects .eh_frame's CIE-pointer and encoding conventions. */
function parseFrameSection(bytes: Uint8Array, eh: boolean, sectionAddress: bigint, fileName: string): Fde[] {
  const name = `${fileName} ${eh ? '.eh_frame' : '.debug_frame'}`;
  const r = new ByteReader(bytes, 0, name);
  const cies = new Map<number, Cie>();
  const fdes: Fde[] = [];

  const parseCie = (offset: number): Cie => {
    const cached = cies.get(offset);
    if (cached) return cached;
    const c = new ByteReader(bytes, offset, name);
    const { length, dwarf64 } = c.initialLength();
    const end = c.offset + length;
    c.offsetOf(dwarf64 && !eh); // CIE id
    const version = c.u8();
    const augmentation = c.cstring();
    let addressSize = 8;
    if (version >= 4) { addressSize = c.u8(); c.u8(); }
    const codeAlign = c.uleb();
    const dataAlign = c.sleb();
    const returnRegister = version === 1 ? c.u8() : c.ulebn();
    let fdeEncoding = 0;
    const hasAugmentationData = augmentation.startsWith('z');
    if (hasAugmentationData) {
      const len = c.ulebn();
      const dataEnd = c.offset + len;
      for (const ch of augmentation.slice(1)) {
        if (ch === 'R') fdeEncoding = c.u8();
        else if (ch === 'P') { const e = c.u8(); readEncoded(c, e & 0x7f, sectionAddress, addressSize); }
        else if (ch === 'L') c.u8();
      }
      c.offset = dataEnd;
    } else if (augmentation !== '') {
      throw new Error(`${name}: CIE at 0x${offset.toString(16)} has unknown augmentation "${augmentation}"`);
    }
    const cie = { codeAlign, dataAlign, returnRegister, fdeEncoding, addressSize, hasAugmentationData, initialInstructions: bytes.subarray(c.offset, end) };
    cies.set(offset, cie);
    return cie;
  };

  while (!r.atEnd) {
    const start = r.offset;
    const { length, dwarf64 } = r.initialLength();
    if (length === 0) { if (eh) break; continue; }   // .eh_frame terminator
    const end = r.offset + length;
    if (end > bytes.length) throw new Error(`${name} is truncated: the entry at 0x${start.toString(16)} runs past the end of the section`);
    const idField = r.offset;
    const id = dwarf64 && !eh ? r.u64n() : r.u32();
    const isCie = eh ? id === 0 : dwarf64 ? id >= 0xffffffff : id === 0xffffffff;
    if (!isCie) {
      const cie = parseCie(eh ? idField - id : id);
      const enc = eh ? cie.fdeEncoding : 0;
      const low = readEncoded(r, enc, sectionAddress, cie.addressSize);
      const range = readEncoded(r, enc & 0x0f, sectionAddress, cie.addressSize);
      if (cie.hasAugmentationData) r.offset += r.ulebn();
      fdes.push({ cie, low, high: low + range, instructions: bytes.subarray(r.offset, end), source: eh ? '.eh_frame' : '.debug_frame' });
    } else {
      parseCie(start);
    }
    r.offset = end;
  }
  return fdes;
}

export class CallFrameInfo {
  readonly fdes: Fde[];

  constructor(s: DwarfSections) {
    // .debug_frame first: when both exist they describe the same code and either will do.
    const all = [
      ...parseFrameSection(s.frame, false, 0n, s.fileName),
      ...parseFrameSection(s.ehFrame, true, s.ehFrameAddress, s.fileName),
    ];
    this.fdes = all.filter((f) => f.high > f.low);
  }

  fdeFor(pc: bigint): Fde | undefined {
    return this.fdes.find((f) => pc >= f.low && pc < f.high);
  }

  /** The CFI row in effect at `pc`, or undefined when no FDE covers it. */
  rowAt(pc: bigint): CfiRow | undefined {
    const fde = this.fdeFor(pc);
    if (!fde) return undefined;
    return executeCfa(fde, pc).at(-1);
  }
}

/**
 * Runs the CIE's initial instructions and the FDE's instructions, returning every row
 * (one per location change) up to and including the one that covers `until`.
 */
export function executeCfa(fde: Fde, until: bigint = fde.high): CfiRow[] {
  const { cie } = fde;
  let cfa: CfaRule = { kind: 'register', reg: 7, offset: 8n };   // until the CIE says otherwise: the state at a call
  let regs = new Map<number, RegisterRule>();
  let loc = fde.low;
  const rows: CfiRow[] = [];
  const stateStack: Array<{ cfa: CfaRule; regs: Map<number, RegisterRule> }> = [];
  let initial = new Map<number, RegisterRule>();

  const run = (program: Uint8Array): boolean => {
    const r = new ByteReader(program, 0, `${fde.source} CFA program`);
    while (!r.atEnd) {
      const op = r.u8();
      const hi = op & 0xc0, low = op & 0x3f;
      let advance: bigint | undefined;
      if (hi === 0x40) advance = BigInt(low) * cie.codeAlign;
      else if (hi === 0x80) regs.set(low, { kind: 'offset', offset: r.uleb() * cie.dataAlign });
      else if (hi === 0xc0) restore(low);
      else switch (op) {
        case 0x00: break;
        case 0x01: { const to = r.uSized(cie.addressSize); advance = to - loc; break; }
        case 0x02: advance = BigInt(r.u8()) * cie.codeAlign; break;
        case 0x03: advance = BigInt(r.u16()) * cie.codeAlign; break;
        case 0x04: advance = BigInt(r.u32()) * cie.codeAlign; break;
        case 0x05: { const n = r.ulebn(); regs.set(n, { kind: 'offset', offset: r.uleb() * cie.dataAlign }); break; }
        case 0x06: restore(r.ulebn()); break;
        case 0x07: regs.set(r.ulebn(), { kind: 'undefined' }); break;
        case 0x08: regs.set(r.ulebn(), { kind: 'same' }); break;
        case 0x09: { const n = r.ulebn(); regs.set(n, { kind: 'register', reg: r.ulebn() }); break; }
        case 0x0a: stateStack.push({ cfa, regs: new Map(regs) }); break;
        case 0x0b: { const s = stateStack.pop(); if (s) { cfa = s.cfa; regs = s.regs; } break; }
        case 0x0c: { const reg = r.ulebn(); cfa = { kind: 'register', reg, offset: r.uleb() }; break; }
        case 0x0d: cfa = { kind: 'register', reg: r.ulebn(), offset: cfa.kind === 'register' ? cfa.offset : 0n }; break;
        case 0x0e: cfa = { kind: 'register', reg: cfa.kind === 'register' ? cfa.reg : 7, offset: r.uleb() }; break;
        case 0x0f: cfa = { kind: 'expression', expr: r.bytesN(r.ulebn()) }; break;
        case 0x10: { const n = r.ulebn(); regs.set(n, { kind: 'expression', expr: r.bytesN(r.ulebn()) }); break; }
        case 0x11: { const n = r.ulebn(); regs.set(n, { kind: 'offset', offset: r.sleb() * cie.dataAlign }); break; }
        case 0x12: { const reg = r.ulebn(); cfa = { kind: 'register', reg, offset: r.sleb() * cie.dataAlign }; break; }
        case 0x13: cfa = { kind: 'register', reg: cfa.kind === 'register' ? cfa.reg : 7, offset: r.sleb() * cie.dataAlign }; break;
        case 0x14: { const n = r.ulebn(); regs.set(n, { kind: 'valOffset', offset: r.uleb() * cie.dataAlign }); break; }
        case 0x15: { const n = r.ulebn(); regs.set(n, { kind: 'valOffset', offset: r.sleb() * cie.dataAlign }); break; }
        case 0x16: { const n = r.ulebn(); regs.set(n, { kind: 'valExpression', expr: r.bytesN(r.ulebn()) }); break; }
        case 0x2e: r.uleb(); break;                                              // GNU_args_size
        case 0x2f: { const n = r.ulebn(); regs.set(n, { kind: 'offset', offset: -r.uleb() * cie.dataAlign }); break; }
        default: throw new Error(`${fde.source}: unknown call frame instruction 0x${op.toString(16)}`);
      }
      if (advance !== undefined) {
        const next = loc + advance;
        if (next > until) return false;
        rows.push({ location: loc, cfa, registers: new Map(regs) });
        loc = next;
      }
    }
    return true;
  };
  const restore = (reg: number): void => {
    const rule = initial.get(reg);
    if (rule) regs.set(reg, rule); else regs.delete(reg);
  };

  run(cie.initialInstructions);
  initial = new Map(regs);
  run(fde.instructions);
  rows.push({ location: loc, cfa, registers: new Map(regs) });
  return rows;
}
