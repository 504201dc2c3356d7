// Intel-syntax disassembler for the debugger's disassembly view, built on the interpreter's
// decoder (decoder/decoder.ts) and opcode table. The text follows iced-x86's Intel formatter
// with these options (docs/cpu-testing.md): ", " between operands, 0x-prefixed lowercase hex
// (0-9 in decimal), memory sizes always shown ("dword ptr"), RIP-relative operands as the
// absolute address, branch targets as absolute addresses, optionally symbolized by a callback.

import { decode, DecodedInsn, DecodeError, Prefix } from '../decoder/decoder';
import { OpMap, type OpcodeEntry } from '../decoder/opcodeTable';
import { gprName, SEGMENT_NAMES } from './registers';
import { join } from '../cpu/halves';

export interface DisasmOptions {
  /** 64-bit mode (default); otherwise 32-bit compatibility/protected mode with `defaultSize`. */
  mode64?: boolean;
  defaultSize?: 2 | 4;
  /** Name for an address (e.g. "main+0x10"); shown after branch and memory targets it resolves. */
  symbolize?: (address: bigint) => string | undefined;
}

export interface DisasmLine {
  address: bigint;
  /** Bytes the instruction occupies (1 for an undecodable byte). */
  length: number;
  text: string;
  valid: boolean;
  /** Target of a direct branch (jmp/jcc/call/loop rel). */
  branchTarget?: bigint;
}

const MEM_SIZE: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword', 6: 'fword', 8: 'qword', 10: 'tbyte', 16: 'xmmword' };
const STRING_OPS = new Set(['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs']);
const BRANCHES = new Set(['jcc', 'jmpNear', 'callNear', 'retNear', 'callE', 'jmpE']);
/** Ib operands that the instruction sign-extends to the operand size (SDM: "imm8 sign-extended"). */
const SIGN_EXTENDED_IB = new Set(['aluEI', 'imul3', 'pushI']);
const HINT_PREFETCH = ['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'];

const insn = new DecodedInsn();

/** Hex as the formatter prints numbers: 0-9 in decimal, else 0x + lowercase digits. */
export function formatNumber(value: bigint | number): string {
  const v = BigInt(value);
  return v >= 0n && v < 10n ? v.toString() : `0x${v.toString(16)}`;
}

function signedDisp(d: number): string {
  return d < 0 ? `-${formatNumber(-d)}` : `+${formatNumber(d)}`;
}

/** Disassemble the instruction at `bytes[offset]`, located at linear `address`. */
export function disassembleOne(bytes: Uint8Array, offset: number, address: bigint, options: DisasmOptions = {}): DisasmLine {
  const mode64 = options.mode64 ?? true;
  decode(insn, bytes, offset, bytes.length - offset, mode64, options.defaultSize ?? 4);
  const entry = insn.entry;
  if (insn.error !== DecodeError.None || !entry) {
    return { address, length: 1, text: `(bad) .byte ${formatNumber(bytes[offset] ?? 0)}`, valid: false };
  }
  if (reservedRegister(entry)) return { address, length: 1, text: `(bad) .byte ${formatNumber(bytes[offset])}`, valid: false };
  const f = new LineFormatter(bytes, offset, address, mode64, entry, options.symbolize);
  let text: string;
  try {
    text = f.format();
  } catch (e) {
    // A table row with operand notation this formatter does not know: say so, keep going.
    return { address, length: insn.length, text: `${entry.mnemonic} (${e instanceof Error ? e.message : String(e)})`, valid: false };
  }
  return { address, length: insn.length, text, valid: true, branchTarget: f.branchTarget };
}

/** Disassemble up to `count` instructions from `bytes`, starting at linear `address`. */
export function disassemble(bytes: Uint8Array, address: bigint, count = Infinity, options: DisasmOptions = {}): DisasmLine[] {
  const lines: DisasmLine[] = [];
  for (let at = 0; at < bytes.length && lines.length < count;) {
    const line = disassembleOne(bytes, at, address + BigInt(at), options);
    lines.push(line);
    at += line.length;
  }
  return lines;
}

/**
 * MOV to/from a control, debug or segment register that does not exist raises #UD (SDM MOV:
 * CR1, CR5-7, CR9-15; DR8-15; Sreg 6-7, and CS as a destination); the decoder leaves that to
 * the handlers, the disassembler shows such encodings as undecodable.
 */
function reservedRegister(entry: OpcodeEntry): boolean {
  const h = entry.handler;
  if (h === 'movFromCr' || h === 'movToCr') return ![0, 2, 3, 4, 8].includes(insn.reg);
  if (h === 'movFromDr' || h === 'movToDr') return insn.reg >= 8;
  if (h === 'movESw') return (insn.reg & 7) > 5;
  if (h === 'movSwE') return (insn.reg & 7) > 5 || (insn.reg & 7) === 1;
  return false;
}

class LineFormatter {
  branchTarget: bigint | undefined;
  private readonly rexPresent: boolean;
  private readonly rawPrefixes: number[] = [];
  private readonly mask: bigint;

  constructor(bytes: Uint8Array, offset: number, private readonly address: bigint,
    private readonly mode64: boolean, private readonly entry: OpcodeEntry, private readonly symbolize?: (a: bigint) => string | undefined) {
    this.rexPresent = insn.rex !== 0;
    this.mask = mode64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
    for (let p = offset; p < offset + insn.length; p++) {
      const b = bytes[p];
      if ([0xf0, 0xf2, 0xf3, 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(b)) this.rawPrefixes.push(b);
      else if (!(mode64 && (b & 0xf0) === 0x40)) break;
    }
  }

  format(): string {
    const e = this.entry;
    const special = this.hintNop() ?? this.prefetch();
    if (special !== undefined) return special;
    // 90 with REX.B is XCHG r8, rAX, not NOP (SDM NOP / XCHG).
    if (e.map === OpMap.One && e.opcode === 0x90 && e.mnemonic === 'nop' && ((insn.rex & 9) || insn.opsize === 2)) {
      return `xchg ${gprName(insn.opReg, insn.opsize, true)}, ${gprName(0, insn.opsize, true)}`;
    }
    let operands = e.operands ? e.operands.split(',') : [];
    const mnemonic = this.mnemonic();
    if (['stos', 'lods', 'scas'].includes(e.mnemonic)) operands = operands.filter((o) => o !== 'AL' && o !== 'rAX');
    // imul r, r/m, imm with r = r/m register prints as the two-operand shorthand (iced style).
    if (e.handler === 'imul3' && insn.mod === 3 && insn.rm === insn.reg) operands = operands.slice(1);
    const text = operands.map((o) => this.operand(o)).join(', ');
    const xlat = e.mnemonic === 'xlat' ? ` byte ptr ${this.segmentText()}[${gprName(3, insn.addrsize, false)}]` : '';
    return `${this.prefixText()}${mnemonic}${text ? ' ' + text : ''}${xlat}`;
  }

  /** The 0F 18-1F hint space, where the table has a generic NOP row (SDM "NOP", "PREFETCHh", "ENDBR64"). */
  private hintNop(): string | undefined {
    const e = this.entry;
    if (e.map !== OpMap.Two || e.opcode < 0x18 || e.opcode > 0x1f) return undefined;
    const lastRep = [...this.rawPrefixes].reverse().find((b) => b === 0xf2 || b === 0xf3);
    if (e.opcode === 0x1e && lastRep === 0xf3 && insn.mod === 3 && insn.reg === 7 && (insn.rm & 7) >= 2 && (insn.rm & 7) <= 3) {
      return (insn.rm & 7) === 2 ? 'endbr64' : 'endbr32';
    }
    const size = insn.opsize;
    if (e.opcode === 0x18 && insn.mod !== 3 && (insn.reg & 7) < 4) return `${HINT_PREFETCH[insn.reg & 7]} ${this.memory(1)}`;
    if (e.opcode === 0x18 && insn.mod !== 3 && (insn.reg & 7) >= 6) return `prefetchit${(insn.reg & 7) === 7 ? 0 : 1} ${this.memory(1)}`;
    if (e.opcode === 0x1c && insn.mod !== 3 && (insn.reg & 7) === 0 && !lastRep && !(insn.prefixes & Prefix.OpSize)) return `cldemote ${this.memory(0)}`;
    const rm = insn.mod === 3 ? gprName(insn.rm, size, this.rexPresent) : this.memory(size);
    if (e.opcode === 0x1f && (insn.reg & 7) === 0) return `nop ${rm}`;
    return `nop ${rm}, ${gprName(insn.reg, size, this.rexPresent)}`;
  }

  /** 0F 0D (PREFETCHW family) and the RIP-relative / CLDEMOTE members of 0F 18-1C. */
  private prefetch(): string | undefined {
    const e = this.entry;
    if (e.map !== OpMap.Two || insn.mod === 3) return undefined;
    const r = insn.reg & 7;
    if (e.opcode === 0x0d) return `${['prefetch_exclusive', 'prefetchw', 'prefetchwt1', 'prefetchw'][r] ?? 'prefetch_reserved'} ${this.memory(1)}`;
    return undefined;
  }

  private mnemonic(): string {
    const e = this.entry, size = insn.opsize;
    const m = e.mnemonic;
    switch (m) {
      case 'cbw': return size === 8 ? 'cdqe' : size === 4 ? 'cwde' : 'cbw';
      case 'cwd': return size === 8 ? 'cqo' : size === 4 ? 'cdq' : 'cwd';
      case 'pushf': case 'popf': return m + (size === 8 ? 'q' : size === 4 ? 'd' : '');
      case 'iret': return size === 8 ? 'iretq' : size === 4 ? 'iretd' : 'iret';
      case 'sysret': return insn.rex & 8 ? 'sysretq' : 'sysret';
      case 'sal': return 'shl';
      case 'callf': return 'call far';
      case 'jmpf': return 'jmp far';
      case 'cmpxchg8b': return insn.rex & 8 ? 'cmpxchg16b' : m;
      case 'clflush': return insn.prefixes & Prefix.OpSize ? 'clflushopt' : m; // 66 0F AE /7 (SDM CLFLUSHOPT)
      case 'retf': return 'ret far';
      case 'jrcxz': return insn.addrsize === 8 ? 'jrcxz' : insn.addrsize === 4 ? 'jecxz' : 'jcxz';
    }
    if (STRING_OPS.has(m)) {
      const s = /[XY]b/.test(e.operands) ? 1 : /[XY]z/.test(e.operands) && size === 8 ? 4 : size;
      return m + (s === 1 ? 'b' : s === 2 ? 'w' : s === 4 ? 'd' : 'q');
    }
    return m;
  }

  private prefixText(): string {
    const e = this.entry, has = (b: number) => this.rawPrefixes.includes(b);
    let out = '';
    if (insn.prefixes & Prefix.Lock) out += 'lock ';
    if (STRING_OPS.has(e.mnemonic)) {
      const lastRep = [...this.rawPrefixes].reverse().find((b) => b === 0xf2 || b === 0xf3);
      const compares = e.mnemonic === 'cmps' || e.mnemonic === 'scas';
      if (lastRep === 0xf3) out += compares ? 'repe ' : 'rep ';
      else if (lastRep === 0xf2) out += 'repne ';
    } else if (BRANCHES.has(e.handler) && has(0xf2)) out += 'bnd ';
    if ((e.handler === 'callE' || e.handler === 'jmpE') && this.mode64 && this.lastSegmentPrefix() === 0x3e) out = 'notrack ' + out;
    if (e.handler === 'jcc' && this.mode64 && !this.rawPrefixes.some((b) => b === 0x64 || b === 0x65)) {
      const seg = this.lastSegmentPrefix();
      if (seg === 0x2e) out = 'hint-not-taken ' + out; else if (seg === 0x3e) out = 'hint-taken ' + out;
    }
    // Hardware lock elision hints (SDM 16.3.1): F2/F3 on LOCKed or XCHG-with-memory, F3 on MOV stores.
    const lastRep = [...this.rawPrefixes].reverse().find((b) => b === 0xf2 || b === 0xf3);
    const hleable = (insn.prefixes & Prefix.Lock) || (e.handler === 'xchgEG' && insn.mod !== 3);
    if (lastRep && hleable && !STRING_OPS.has(e.mnemonic)) out = (lastRep === 0xf2 ? 'xacquire ' : 'xrelease ') + out;
    else if (lastRep === 0xf3 && (e.handler === 'movEG' || e.handler === 'movEI') && insn.mod !== 3) out = 'xrelease ' + out;
    // Size prefixes that change an instruction whose operands do not show the size.
    const addrLabel = insn.addrsize === 2 ? 'addr16 ' : 'addr32 ';
    if (/(^|,)O/.test(e.operands) && (insn.prefixes & Prefix.AddrSize)) out = addrLabel + out;
    if (['loop', 'loope', 'loopne'].includes(e.mnemonic) && (insn.prefixes & Prefix.AddrSize)) out = addrLabel + out;
    // Outside 64-bit mode a 66h prefix makes near branches 16-bit (IP, not EIP).
    if (!this.mode64 && insn.opsize === 2 && ['jcc', 'jmpNear', 'callNear', 'retNear', 'loop', 'jrcxz', 'callFarA', 'jmpFarA'].includes(e.handler)) out = 'data16 ' + out;
    if (['pushSeg', 'popSeg', 'leave', 'enter', 'pushI', 'retFar'].includes(e.handler)) {
      if (insn.opsize === 2) out = 'data16 ' + out;
      else if (e.handler === 'retFar' && insn.opsize === 8) out = 'data64 ' + out;
    }
    return out;
  }

  private lastSegmentPrefix(): number | undefined {
    return [...this.rawPrefixes].reverse().find((b) => [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(b));
  }

  private operand(code: string): string {
    const size = insn.opsize;
    const kind = code[0], sz = code.slice(1);
    switch (code) {
      case 'AL': return 'al';
      case 'CL': return 'cl';
      case 'DX': return 'dx';
      case '1': return '1';
      case 'rAX': return gprName(0, size, false);
      case 'eAX': return size === 2 ? 'ax' : 'eax';
      case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS': return code.toLowerCase();
    }
    const width = this.width(sz);
    switch (kind) {
      case 'E': {
        const e = this.entry;
        // MOV r/m, Sreg stores 16 bits to memory but writes the whole register (SDM MOV);
        // SLDT/STR/SMSW likewise (SDM: "r/m16", register forms by operand size).
        const sregStore = e.handler === 'movESw' || e.handler === 'grp6' && (e.mnemonic === 'sldt' || e.mnemonic === 'str') || e.mnemonic === 'smsw';
        if (insn.mod === 3) return gprName(insn.rm, sregStore ? insn.opsize : e.mnemonic === 'movsxd' && insn.opsize !== 8 ? insn.opsize : width, this.rexPresent);
        return this.memory(sregStore ? 2 : e.mnemonic === 'movsxd' && insn.opsize !== 8 ? insn.opsize : width);
      }
      case 'G': return gprName(insn.reg, width, this.rexPresent);
      case 'R': return gprName(insn.rm, width, this.rexPresent);
      case 'Z': return gprName(insn.opReg, width, this.rexPresent);
      case 'M': return this.memory(this.memoryOnlyWidth(sz));
      case 'S': return SEGMENT_NAMES[insn.reg & 7] ?? `sreg${insn.reg & 7}`;
      case 'C': return `cr${insn.reg}`;
      case 'D': return `dr${insn.reg}`;
      case 'I': return this.immediate(code);
      case 'J': return this.branch();
      case 'A': return `${formatNumber(insn.opsize === 2 ? insn.imm & 0xffff : insn.imm >>> 0)}, ${formatNumber(insn.imm2 & 0xffff)}`; // Ap: offset, selector
      case 'O': return this.moffs(width);
      case 'X': return this.stringMemory(width, 6, this.segmentText());
      case 'Y': return this.stringMemory(width, 7, insn.segOverride >= 0 ? 'es:' : '');
    }
    throw new Error(`disassembler: operand notation '${code}' of '${this.entry.mnemonic}' is not supported`);
  }

  /** Operand width in bytes for an SDM size code (A.2.2). */
  private width(sz: string): number {
    switch (sz) {
      case 'b': return 1;
      case 'w': return 2;
      case 'd': return 4;
      case 'q': return 8;
      case 'dq': return 16;
      case 'y': return insn.opsize === 8 ? 8 : 4;
      case 'z': return insn.opsize === 2 ? 2 : 4;
      default: return insn.opsize;
    }
  }

  private memoryOnlyWidth(sz: string): number {
    const m = this.entry.mnemonic;
    if (sz === '') return ['sgdt', 'sidt', 'lgdt', 'lidt'].includes(m) ? 6 : 0;
    if (sz === 'p') return insn.opsize + 2;
    if (m === 'cmpxchg8b' && (insn.rex & 8)) return 16;
    return this.width(sz);
  }

  private segmentText(): string {
    return insn.segOverride >= 0 && this.entry.handler !== 'lea' ? `${SEGMENT_NAMES[insn.segOverride]}:` : '';
  }

  private sized(width: number, inner: string): string {
    const kw = MEM_SIZE[width];
    return kw ? `${kw} ptr ${inner}` : inner;
  }

  private memory(width: number): string {
    const a = insn.addrsize;
    let inner: string;
    if (insn.ripRelative) {
      const next = this.address + BigInt(insn.length);
      const target = BigInt.asUintN(a * 8, next + BigInt(insn.disp));
      inner = this.withSymbol(target, formatNumber(target));
    } else if (insn.base < 0 && insn.index < 0) {
      const target = BigInt.asUintN(a * 8, BigInt(insn.disp));
      inner = this.withSymbol(target, formatNumber(target));
    } else {
      const parts: string[] = [];
      if (insn.base >= 0) parts.push(gprName(insn.base, a, false));
      // An index without a base always shows its scale, even *1 (so [rbx*1] is not read as a base).
      if (insn.index >= 0) parts.push(gprName(insn.index, a, false) + (insn.scale || insn.base < 0 ? `*${1 << insn.scale}` : ''));
      inner = parts.join('+') + (insn.disp ? signedDisp(insn.disp) : '');
    }
    return this.sized(width, `${this.segmentText()}[${inner}]`);
  }

  private withSymbol(target: bigint, text: string): string {
    const name = this.symbolize?.(target);
    return name ? `${text} <${name}>` : text;
  }

  private moffs(width: number): string {
    const raw = join(insn.imm >>> 0, insn.immHi);
    const target = BigInt.asUintN(insn.addrsize * 8, raw);
    return this.sized(width, `${this.segmentText()}[${this.withSymbol(target, formatNumber(target))}]`);
  }

  private stringMemory(width: number, reg: number, segment: string): string {
    return this.sized(width, `${segment}[${gprName(reg, insn.addrsize, false)}]`);
  }

  private immediate(code: string): string {
    const e = this.entry, size = insn.opsize;
    // ENTER's second immediate (Ib) is imm2; every other instruction has at most one.
    if (code === 'Ib' && e.mnemonic === 'enter') return formatNumber(insn.imm2 & 0xff);
    switch (code) {
      case 'Ib':
        if (SIGN_EXTENDED_IB.has(e.handler) && !(e.flags & 32 /* OpFlag.Byte */)) return formatNumber(BigInt.asUintN(size * 8, BigInt(insn.imm)));
        return formatNumber(insn.imm & 0xff);
      case 'Iw': return formatNumber(insn.imm & 0xffff);
      case 'Iz': return formatNumber(BigInt.asUintN(size * 8, BigInt(insn.imm)));
      case 'Iv': return formatNumber(size === 8 ? join(insn.imm >>> 0, insn.immHi) : BigInt.asUintN(size * 8, BigInt(insn.imm)));
    }
    throw new Error(`disassembler: immediate '${code}' is not supported`);
  }

  private branch(): string {
    const next = this.address + BigInt(insn.length);
    const bits = this.mode64 ? 64 : insn.opsize === 2 ? 16 : 32;
    const target = BigInt.asUintN(bits, next + BigInt(insn.imm)) & this.mask;
    this.branchTarget = target;
    return this.withSymbol(target, formatNumber(target));
  }
}
