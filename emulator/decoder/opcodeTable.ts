// The one declarative x86-64 opcode table (Intel SDM vol. 2 Appendix A opcode maps).
// Each row names the encoding (map, opcode, ModRM.reg extension, mandatory prefix, mod/rm
// filters), the mnemonic, the operands in SDM Appendix A notation and the interpreter's
// handler name. The decoder derives ModRM presence and immediate sizes from the operands;
// the CPU binds `handler` names to functions; the disassembler prints `mnemonic`/`operands`.
//
// Operand notation (SDM A.2): E = ModRM r/m, G = ModRM reg, M = memory-only r/m,
// R = register-only r/m, Z = register in opcode bits 2:0, I = immediate, J = relative
// offset, O = moffs, S = segment register, C/D = control/debug register, X/Y = string
// source/destination. Sizes: b byte, w word, d dword, q qword, v 16/32/64 by operand
// size, z 16/32 (sign-extended to 64), y 32/64.

/** Opcode maps: one-byte, 0F, 0F 38, 0F 3A. */
export const enum OpMap { One = 0, Two = 1, Three38 = 2, Three3A = 3 }

/** Mandatory-prefix column of a row: none means "no mandatory prefix" (66 then is operand size). */
export const enum MandatoryPrefix { None = 0, P66 = 1, PF3 = 2, PF2 = 3 }

export const enum OpFlag {
  /** Default operand size is 64 in 64-bit mode (push/pop, near branches; SDM 3.3.5 / A.2.5). */
  D64 = 1 << 0,
  /** Operand size forced to 64 in 64-bit mode; 66 ignored (Intel: near jumps and calls). */
  F64 = 1 << 1,
  /** Invalid in 64-bit mode. */
  I64 = 1 << 2,
  /** Valid only in 64-bit mode. */
  O64 = 1 << 3,
  /** LOCK prefix allowed (with a memory destination). */
  Lockable = 1 << 4,
  /** Byte-sized operation: operand size is 1. */
  Byte = 1 << 5,
  /** Only mod = 3 (register form); memory form is a different row or invalid. */
  RegOnly = 1 << 6,
  /** Only mod != 3. */
  MemOnly = 1 << 7,
  /** Accepts REP/REPE/REPNE as a repeat prefix (string instructions). */
  Rep = 1 << 8,
  /** ModRM.mod is ignored and r/m always names a register (MOV to/from CR/DR, SDM vol. 2 MOV). */
  ModIgnored = 1 << 9,
  /** "NP" in the SDM opcode column: a 66/F2/F3 prefix makes the encoding invalid. */
  NoPrefix = 1 << 10,
}

export interface OpcodeEntry {
  readonly map: OpMap;
  readonly opcode: number;
  /** ModRM.reg extension (0-7) or -1. */
  readonly ext: number;
  readonly prefix: MandatoryPrefix;
  /** For rows selected by the full ModRM byte with mod = 3 (e.g. 0F 01 C1 VMCALL): the rm value, else -1. */
  readonly rm: number;
  readonly mnemonic: string;
  /** Comma-separated operands in SDM Appendix A notation, e.g. 'Ev,Gv'. */
  readonly operands: string;
  readonly handler: string;
  readonly flags: number;
  /** Index of this row in OPCODES (also the decoded instruction's `id`). */
  id: number;
}

const rows: OpcodeEntry[] = [];

interface RowOptions { ext?: number; prefix?: MandatoryPrefix; rm?: number; flags?: number }

function row(map: OpMap, opcode: number, mnemonic: string, operands: string, handler: string, o: RowOptions = {}): void {
  let flags = o.flags ?? 0;
  const first = operands.split(',')[0];
  if (/^(Eb|Gb|AL|Zb|Xb|Yb|Ob|Mb)$/.test(first) || (first === 'DX' && /AL|Xb/.test(operands)) || (first === 'Ib' && operands === 'Ib,AL')) flags |= OpFlag.Byte;
  if (o.rm !== undefined && o.rm >= 0) flags |= OpFlag.RegOnly;
  rows.push({ map, opcode, ext: o.ext ?? -1, prefix: o.prefix ?? MandatoryPrefix.None, rm: o.rm ?? -1, mnemonic, operands, handler, flags, id: 0 });
}
const one = (op: number, m: string, ops: string, h: string, o?: RowOptions) => row(OpMap.One, op, m, ops, h, o);
const two = (op: number, m: string, ops: string, h: string, o?: RowOptions) => row(OpMap.Two, op, m, ops, h, o);
const lk = OpFlag.Lockable;

// ---- one-byte map (SDM Table A-2) ----
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
ALU.forEach((m, i) => {
  const b = i << 3;
  const l = m === 'cmp' ? 0 : lk;
  one(b + 0, m, 'Eb,Gb', 'aluEG', { flags: l });
  one(b + 1, m, 'Ev,Gv', 'aluEG', { flags: l });
  one(b + 2, m, 'Gb,Eb', 'aluGE');
  one(b + 3, m, 'Gv,Ev', 'aluGE');
  one(b + 4, m, 'AL,Ib', 'aluAI');
  one(b + 5, m, 'rAX,Iz', 'aluAI');
});
one(0x06, 'push', 'ES', 'pushSeg', { flags: OpFlag.I64 });
one(0x07, 'pop', 'ES', 'popSeg', { flags: OpFlag.I64 });
one(0x0e, 'push', 'CS', 'pushSeg', { flags: OpFlag.I64 });
one(0x16, 'push', 'SS', 'pushSeg', { flags: OpFlag.I64 });
one(0x17, 'pop', 'SS', 'popSeg', { flags: OpFlag.I64 });
one(0x1e, 'push', 'DS', 'pushSeg', { flags: OpFlag.I64 });
one(0x1f, 'pop', 'DS', 'popSeg', { flags: OpFlag.I64 });
for (let r = 0; r < 8; r++) {
  one(0x40 + r, 'inc', 'Zv', 'incZ', { flags: OpFlag.I64 }); // REX prefixes in 64-bit mode
  one(0x48 + r, 'dec', 'Zv', 'decZ', { flags: OpFlag.I64 });
  one(0x50 + r, 'push', 'Zv', 'pushZ', { flags: OpFlag.D64 });
  one(0x58 + r, 'pop', 'Zv', 'popZ', { flags: OpFlag.D64 });
}
one(0x63, 'movsxd', 'Gv,Ed', 'movsxd', { flags: OpFlag.O64 });
one(0x68, 'push', 'Iz', 'pushI', { flags: OpFlag.D64 });
one(0x69, 'imul', 'Gv,Ev,Iz', 'imul3');
one(0x6a, 'push', 'Ib', 'pushI', { flags: OpFlag.D64 });
one(0x6b, 'imul', 'Gv,Ev,Ib', 'imul3');
one(0x6c, 'ins', 'Yb,DX', 'ins', { flags: OpFlag.Rep | OpFlag.Byte });
one(0x6d, 'ins', 'Yz,DX', 'ins', { flags: OpFlag.Rep });
one(0x6e, 'outs', 'DX,Xb', 'outs', { flags: OpFlag.Rep | OpFlag.Byte });
one(0x6f, 'outs', 'DX,Xz', 'outs', { flags: OpFlag.Rep });
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
CC.forEach((c, i) => one(0x70 + i, 'j' + c, 'Jb', 'jcc', { flags: OpFlag.F64 }));
ALU.forEach((m, i) => {
  const l = m === 'cmp' ? 0 : lk;
  one(0x80, m, 'Eb,Ib', 'aluEI', { ext: i, flags: l });
  one(0x81, m, 'Ev,Iz', 'aluEI', { ext: i, flags: l });
  one(0x82, m, 'Eb,Ib', 'aluEI', { ext: i, flags: l | OpFlag.I64 });
  one(0x83, m, 'Ev,Ib', 'aluEI', { ext: i, flags: l });
});
one(0x84, 'test', 'Eb,Gb', 'testEG');
one(0x85, 'test', 'Ev,Gv', 'testEG');
one(0x86, 'xchg', 'Eb,Gb', 'xchgEG', { flags: lk });
one(0x87, 'xchg', 'Ev,Gv', 'xchgEG', { flags: lk });
one(0x88, 'mov', 'Eb,Gb', 'movEG');
one(0x89, 'mov', 'Ev,Gv', 'movEG');
one(0x8a, 'mov', 'Gb,Eb', 'movGE');
one(0x8b, 'mov', 'Gv,Ev', 'movGE');
one(0x8c, 'mov', 'Ev,Sw', 'movESw');
one(0x8d, 'lea', 'Gv,M', 'lea', { flags: OpFlag.MemOnly });
one(0x8e, 'mov', 'Sw,Ew', 'movSwE');
one(0x8f, 'pop', 'Ev', 'popE', { ext: 0, flags: OpFlag.D64 });
one(0x90, 'nop', '', 'nop90');
one(0x90, 'pause', '', 'pause', { prefix: MandatoryPrefix.PF3 });
for (let r = 1; r < 8; r++) one(0x90 + r, 'xchg', 'Zv,rAX', 'xchgZA');
one(0x98, 'cbw', '', 'cbw'); // cwde/cdqe by operand size
one(0x99, 'cwd', '', 'cwd'); // cdq/cqo
one(0x9a, 'callf', 'Ap', 'callFarA', { flags: OpFlag.I64 });
one(0x9c, 'pushf', '', 'pushf', { flags: OpFlag.D64 });
one(0x9d, 'popf', '', 'popf', { flags: OpFlag.D64 });
one(0x9e, 'sahf', '', 'sahf');
one(0x9f, 'lahf', '', 'lahf');
one(0xa0, 'mov', 'AL,Ob', 'movAO');
one(0xa1, 'mov', 'rAX,Ov', 'movAO');
one(0xa2, 'mov', 'Ob,AL', 'movOA', { flags: OpFlag.Byte });
one(0xa3, 'mov', 'Ov,rAX', 'movOA');
one(0xa4, 'movs', 'Yb,Xb', 'movs', { flags: OpFlag.Rep | OpFlag.Byte });
one(0xa5, 'movs', 'Yv,Xv', 'movs', { flags: OpFlag.Rep });
one(0xa6, 'cmps', 'Xb,Yb', 'cmps', { flags: OpFlag.Rep });
one(0xa7, 'cmps', 'Xv,Yv', 'cmps', { flags: OpFlag.Rep });
one(0xa8, 'test', 'AL,Ib', 'testAI');
one(0xa9, 'test', 'rAX,Iz', 'testAI');
one(0xaa, 'stos', 'Yb,AL', 'stos', { flags: OpFlag.Rep | OpFlag.Byte });
one(0xab, 'stos', 'Yv,rAX', 'stos', { flags: OpFlag.Rep });
one(0xac, 'lods', 'AL,Xb', 'lods', { flags: OpFlag.Rep });
one(0xad, 'lods', 'rAX,Xv', 'lods', { flags: OpFlag.Rep });
one(0xae, 'scas', 'AL,Yb', 'scas', { flags: OpFlag.Rep });
one(0xaf, 'scas', 'rAX,Yv', 'scas', { flags: OpFlag.Rep });
for (let r = 0; r < 8; r++) {
  one(0xb0 + r, 'mov', 'Zb,Ib', 'movZI');
  one(0xb8 + r, 'mov', 'Zv,Iv', 'movZI');
}
const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
SHIFT.forEach((m, i) => {
  one(0xc0, m, 'Eb,Ib', 'shift', { ext: i });
  one(0xc1, m, 'Ev,Ib', 'shift', { ext: i });
  one(0xd0, m, 'Eb,1', 'shift', { ext: i });
  one(0xd1, m, 'Ev,1', 'shift', { ext: i });
  one(0xd2, m, 'Eb,CL', 'shift', { ext: i });
  one(0xd3, m, 'Ev,CL', 'shift', { ext: i });
});
one(0xc2, 'ret', 'Iw', 'retNear', { flags: OpFlag.F64 });
one(0xc3, 'ret', '', 'retNear', { flags: OpFlag.F64 });
one(0xc6, 'mov', 'Eb,Ib', 'movEI', { ext: 0 });
one(0xc7, 'mov', 'Ev,Iz', 'movEI', { ext: 0 });
one(0xc8, 'enter', 'Iw,Ib', 'enter', { flags: OpFlag.D64 });
one(0xc9, 'leave', '', 'leave', { flags: OpFlag.D64 });
one(0xca, 'retf', 'Iw', 'retFar');
one(0xcb, 'retf', '', 'retFar');
one(0xcc, 'int3', '', 'int3');
one(0xcd, 'int', 'Ib', 'intN');
one(0xce, 'into', '', 'into', { flags: OpFlag.I64 });
one(0xcf, 'iret', '', 'iret');
one(0xd7, 'xlat', '', 'xlat');
one(0xe0, 'loopne', 'Jb', 'loop', { flags: OpFlag.F64 });
one(0xe1, 'loope', 'Jb', 'loop', { flags: OpFlag.F64 });
one(0xe2, 'loop', 'Jb', 'loop', { flags: OpFlag.F64 });
one(0xe3, 'jrcxz', 'Jb', 'jrcxz', { flags: OpFlag.F64 });
one(0xe4, 'in', 'AL,Ib', 'inOut');
one(0xe5, 'in', 'eAX,Ib', 'inOut');
one(0xe6, 'out', 'Ib,AL', 'inOut');
one(0xe7, 'out', 'Ib,eAX', 'inOut');
one(0xe8, 'call', 'Jz', 'callNear', { flags: OpFlag.F64 });
one(0xe9, 'jmp', 'Jz', 'jmpNear', { flags: OpFlag.F64 });
one(0xea, 'jmpf', 'Ap', 'jmpFarA', { flags: OpFlag.I64 });
one(0xeb, 'jmp', 'Jb', 'jmpNear', { flags: OpFlag.F64 });
one(0xec, 'in', 'AL,DX', 'inOut');
one(0xed, 'in', 'eAX,DX', 'inOut');
one(0xee, 'out', 'DX,AL', 'inOut');
one(0xef, 'out', 'DX,eAX', 'inOut');
one(0xf1, 'int1', '', 'int1');
one(0xf4, 'hlt', '', 'hlt');
one(0xf5, 'cmc', '', 'flagOp');
const GRP3 = ['test', 'test', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'];
GRP3.forEach((m, i) => {
  const h = i < 2 ? 'testEI' : i === 2 ? 'notE' : i === 3 ? 'negE' : 'mulDiv';
  const l = i === 2 || i === 3 ? lk : 0;
  one(0xf6, m, i < 2 ? 'Eb,Ib' : 'Eb', h, { ext: i, flags: l });
  one(0xf7, m, i < 2 ? 'Ev,Iz' : 'Ev', h, { ext: i, flags: l });
});
['clc', 'stc', 'cli', 'sti', 'cld', 'std'].forEach((m, i) => one(0xf8 + i, m, '', 'flagOp'));
one(0xfe, 'inc', 'Eb', 'incDecE', { ext: 0, flags: lk });
one(0xfe, 'dec', 'Eb', 'incDecE', { ext: 1, flags: lk });
one(0xff, 'inc', 'Ev', 'incDecE', { ext: 0, flags: lk });
one(0xff, 'dec', 'Ev', 'incDecE', { ext: 1, flags: lk });
one(0xff, 'call', 'Ev', 'callE', { ext: 2, flags: OpFlag.F64 });
one(0xff, 'callf', 'Mp', 'callFarM', { ext: 3, flags: OpFlag.MemOnly });
one(0xff, 'jmp', 'Ev', 'jmpE', { ext: 4, flags: OpFlag.F64 });
one(0xff, 'jmpf', 'Mp', 'jmpFarM', { ext: 5, flags: OpFlag.MemOnly });
one(0xff, 'push', 'Ev', 'pushE', { ext: 6, flags: OpFlag.D64 });

// ---- two-byte map 0F (SDM Table A-3) ----
['sldt', 'str', 'lldt', 'ltr'].forEach((m, i) => two(0x00, m, 'Ew', 'grp6', { ext: i }));
two(0x01, 'sgdt', 'M', 'descTable', { ext: 0, flags: OpFlag.MemOnly });
two(0x01, 'sidt', 'M', 'descTable', { ext: 1, flags: OpFlag.MemOnly });
two(0x01, 'lgdt', 'M', 'descTable', { ext: 2, flags: OpFlag.MemOnly });
two(0x01, 'lidt', 'M', 'descTable', { ext: 3, flags: OpFlag.MemOnly });
two(0x01, 'smsw', 'Ew', 'smsw', { ext: 4 });
two(0x01, 'lmsw', 'Ew', 'lmsw', { ext: 6 });
two(0x01, 'invlpg', 'M', 'invlpg', { ext: 7, flags: OpFlag.MemOnly });
two(0x01, 'vmcall', '', 'vmcall', { ext: 0, rm: 1, flags: OpFlag.NoPrefix });
two(0x01, 'vmlaunch', '', 'vmlaunch', { ext: 0, rm: 2, flags: OpFlag.NoPrefix });
two(0x01, 'vmresume', '', 'vmresume', { ext: 0, rm: 3, flags: OpFlag.NoPrefix });
two(0x01, 'vmxoff', '', 'vmxoff', { ext: 0, rm: 4, flags: OpFlag.NoPrefix });
two(0x01, 'clac', '', 'clacStac', { ext: 1, rm: 2, flags: OpFlag.NoPrefix });
two(0x01, 'stac', '', 'clacStac', { ext: 1, rm: 3, flags: OpFlag.NoPrefix });
two(0x01, 'swapgs', '', 'swapgs', { ext: 7, rm: 0, flags: OpFlag.O64 });
two(0x01, 'rdtscp', '', 'rdtscp', { ext: 7, rm: 1 });
two(0x05, 'syscall', '', 'syscall');
two(0x06, 'clts', '', 'clts');
two(0x07, 'sysret', '', 'sysret');
two(0x08, 'invd', '', 'invd');
two(0x09, 'wbinvd', '', 'wbinvd');
two(0x0b, 'ud2', '', 'ud');
two(0x0d, 'prefetchw', 'M', 'nopE', { flags: OpFlag.MemOnly });
for (let op = 0x18; op <= 0x1f; op++) two(op, 'nop', 'Ev', 'nopE'); // hint NOPs incl. prefetch and endbr64 (F3 0F 1E FA)
two(0x20, 'mov', 'Ry,Cd', 'movFromCr', { flags: OpFlag.F64 | OpFlag.ModIgnored });
two(0x21, 'mov', 'Ry,Dd', 'movFromDr', { flags: OpFlag.F64 | OpFlag.ModIgnored });
two(0x22, 'mov', 'Cd,Ry', 'movToCr', { flags: OpFlag.F64 | OpFlag.ModIgnored });
two(0x23, 'mov', 'Dd,Ry', 'movToDr', { flags: OpFlag.F64 | OpFlag.ModIgnored });
two(0x30, 'wrmsr', '', 'wrmsr');
two(0x31, 'rdtsc', '', 'rdtsc');
two(0x32, 'rdmsr', '', 'rdmsr');
two(0x33, 'rdpmc', '', 'rdpmc');
CC.forEach((c, i) => two(0x40 + i, 'cmov' + c, 'Gv,Ev', 'cmov'));
two(0x78, 'vmread', 'Ey,Gy', 'vmread', { flags: OpFlag.F64 | OpFlag.NoPrefix });
two(0x79, 'vmwrite', 'Gy,Ey', 'vmwrite', { flags: OpFlag.F64 | OpFlag.NoPrefix });
CC.forEach((c, i) => two(0x80 + i, 'j' + c, 'Jz', 'jcc', { flags: OpFlag.F64 }));
CC.forEach((c, i) => two(0x90 + i, 'set' + c, 'Eb', 'setcc'));
two(0xa0, 'push', 'FS', 'pushSeg', { flags: OpFlag.D64 });
two(0xa1, 'pop', 'FS', 'popSeg', { flags: OpFlag.D64 });
two(0xa2, 'cpuid', '', 'cpuid');
two(0xa3, 'bt', 'Ev,Gv', 'btG');
two(0xa4, 'shld', 'Ev,Gv,Ib', 'shxd');
two(0xa5, 'shld', 'Ev,Gv,CL', 'shxd');
two(0xa8, 'push', 'GS', 'pushSeg', { flags: OpFlag.D64 });
two(0xa9, 'pop', 'GS', 'popSeg', { flags: OpFlag.D64 });
two(0xab, 'bts', 'Ev,Gv', 'btG', { flags: lk });
two(0xac, 'shrd', 'Ev,Gv,Ib', 'shxd');
two(0xad, 'shrd', 'Ev,Gv,CL', 'shxd');
two(0xae, 'clflush', 'Mb', 'nopE', { ext: 7, flags: OpFlag.MemOnly });
two(0xae, 'lfence', '', 'nop90', { ext: 5, rm: 0, flags: OpFlag.NoPrefix });
two(0xae, 'mfence', '', 'nop90', { ext: 6, rm: 0, flags: OpFlag.NoPrefix });
two(0xae, 'sfence', '', 'nop90', { ext: 7, rm: 0, flags: OpFlag.NoPrefix });
two(0xaf, 'imul', 'Gv,Ev', 'imul2');
two(0xb0, 'cmpxchg', 'Eb,Gb', 'cmpxchg', { flags: lk });
two(0xb1, 'cmpxchg', 'Ev,Gv', 'cmpxchg', { flags: lk });
two(0xb2, 'lss', 'Gv,Mp', 'loadFarPtr', { flags: OpFlag.MemOnly });
two(0xb3, 'btr', 'Ev,Gv', 'btG', { flags: lk });
two(0xb4, 'lfs', 'Gv,Mp', 'loadFarPtr', { flags: OpFlag.MemOnly });
two(0xb5, 'lgs', 'Gv,Mp', 'loadFarPtr', { flags: OpFlag.MemOnly });
two(0xb6, 'movzx', 'Gv,Eb', 'movzx');
two(0xb7, 'movzx', 'Gv,Ew', 'movzx');
two(0xb8, 'popcnt', 'Gv,Ev', 'popcnt', { prefix: MandatoryPrefix.PF3 });
two(0xb9, 'ud1', 'Gv,Ev', 'ud');
['bt', 'bts', 'btr', 'btc'].forEach((m, i) => two(0xba, m, 'Ev,Ib', 'btI', { ext: 4 + i, flags: i ? lk : 0 }));
two(0xbb, 'btc', 'Ev,Gv', 'btG', { flags: lk });
two(0xbc, 'bsf', 'Gv,Ev', 'bsf');
two(0xbc, 'tzcnt', 'Gv,Ev', 'tzcnt', { prefix: MandatoryPrefix.PF3 });
two(0xbd, 'bsr', 'Gv,Ev', 'bsr');
two(0xbd, 'lzcnt', 'Gv,Ev', 'lzcnt', { prefix: MandatoryPrefix.PF3 });
two(0xbe, 'movsx', 'Gv,Eb', 'movsx');
two(0xbf, 'movsx', 'Gv,Ew', 'movsx');
two(0xc0, 'xadd', 'Eb,Gb', 'xadd', { flags: lk });
two(0xc1, 'xadd', 'Ev,Gv', 'xadd', { flags: lk });
two(0xc7, 'cmpxchg8b', 'Mq', 'cmpxchg8b', { ext: 1, flags: lk | OpFlag.MemOnly }); // cmpxchg16b with REX.W
two(0xc7, 'vmptrld', 'Mq', 'vmptrld', { ext: 6, flags: OpFlag.MemOnly | OpFlag.NoPrefix });
two(0xc7, 'vmclear', 'Mq', 'vmclear', { ext: 6, prefix: MandatoryPrefix.P66, flags: OpFlag.MemOnly });
two(0xc7, 'vmxon', 'Mq', 'vmxon', { ext: 6, prefix: MandatoryPrefix.PF3, flags: OpFlag.MemOnly });
two(0xc7, 'vmptrst', 'Mq', 'vmptrst', { ext: 7, flags: OpFlag.MemOnly | OpFlag.NoPrefix });
for (let r = 0; r < 8; r++) two(0xc8 + r, 'bswap', 'Zv', 'bswap');
two(0xff, 'ud0', 'Gv,Ev', 'ud');

// ---- three-byte map 0F 38 (SDM Table A-4) ----
row(OpMap.Three38, 0x80, 'invept', 'Gy,Mdq', 'invept', { prefix: MandatoryPrefix.P66, flags: OpFlag.MemOnly | OpFlag.F64 });
row(OpMap.Three38, 0x81, 'invvpid', 'Gy,Mdq', 'invvpid', { prefix: MandatoryPrefix.P66, flags: OpFlag.MemOnly | OpFlag.F64 });
row(OpMap.Three38, 0xf0, 'movbe', 'Gv,Mv', 'movbe', { flags: OpFlag.MemOnly });
row(OpMap.Three38, 0xf1, 'movbe', 'Mv,Gv', 'movbe', { flags: OpFlag.MemOnly });

rows.forEach((r, i) => { r.id = i; });

/** All rows; a decoded instruction's `id` indexes this array. */
export const OPCODES: readonly OpcodeEntry[] = rows;
