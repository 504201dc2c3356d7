// Which arithmetic flags each instruction form reads and which it leaves undefined, from the
// "Flags Affected" sections of the SDM vol. 2 instruction pages. The generator uses this to
// keep a case from feeding an undefined flag into a later instruction (adc, cmov, jcc...), and
// the comparison masks the flags still undefined at the end of a case unless the
// interpreter's documented policy (MATCHED_UNDEFINED) claims to match this machine for them.

import { HOST_IS_AMD } from './hostVendor';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

const CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

export interface FlagEffect {
  /** Flags the instruction reads. */
  reads: number;
  /** Flags it writes with a defined value (these clear earlier undefinedness). */
  defines: number;
  /** Flags it leaves undefined. */
  undefined: number;
}

/**
 * Families whose SDM-undefined flags the interpreter computes exactly as this machine does
 * (its policy in docs/cpu.md, "Undefined flags"); these are compared strictly. Not yet matched:
 * 'rcx-narrow' (RCL/RCR of 8/16-bit operands), 'shxd16' (16-bit SHLD/SHRD). The policy reproduces an
 * AMD processor; on another vendor every SDM-undefined flag is masked.
 */
export const MATCHED_UNDEFINED = new Set<string>(HOST_IS_AMD ? ['logic', 'mul', 'div', 'bt', 'bsf', 'tzcnt', 'shift', 'rotate', 'shxd'] : []);

const NONE: FlagEffect = { reads: 0, defines: 0, undefined: 0 };
const ALL: FlagEffect = { reads: 0, defines: ARITH, undefined: 0 };

/** Effect of one instruction: its form name and its bytes (shift counts are read from them). */
export function flagEffect(form: string, bytes: number[]): FlagEffect {
  const op = form.split(' ')[0];
  const size = Number(/(\d+)/.exec(form)?.[1] ?? 64);
  const family = (name: string) => (name === 'shxd' && size === 16 ? 'shxd16' : name);
  const undef = (name: string, mask: number) => (MATCHED_UNDEFINED.has(family(name)) ? 0 : mask);
  const cc = /^(?:cmov|set|j)(\w+)$/.exec(op);
  if (cc && CC.includes(cc[1])) return { reads: CC_READS[CC.indexOf(cc[1])], defines: 0, undefined: 0 };
  switch (op) {
    case 'add': case 'sub': case 'cmp': case 'neg': case 'xadd': case 'cmpxchg':
    case 'cmps': case 'scas': case 'popcnt': return ALL;
    case 'adc': case 'sbb': return { reads: CF, defines: ARITH, undefined: 0 };
    case 'and': case 'or': case 'xor': case 'test': return { reads: 0, defines: ARITH & ~AF, undefined: undef('logic', AF) };
    case 'inc': case 'dec': return { reads: 0, defines: ARITH & ~CF, undefined: 0 };
    case 'mul': case 'imul': return { reads: 0, defines: CF | OF, undefined: undef('mul', SF | ZF | AF | PF) };
    case 'div': case 'idiv': return { reads: 0, defines: 0, undefined: undef('div', ARITH) };
    case 'bt': case 'bts': case 'btr': case 'btc': return { reads: 0, defines: CF, undefined: undef('bt', OF | SF | AF | PF) };
    case 'bsf': case 'bsr': return { reads: 0, defines: ZF, undefined: undef('bsf', CF | OF | SF | AF | PF) };
    case 'tzcnt': case 'lzcnt': return { reads: 0, defines: ZF | CF, undefined: undef('tzcnt', OF | SF | AF | PF) };
    case 'cmpxchg8b': case 'cmpxchg16b': return { reads: 0, defines: ZF, undefined: 0 };
    case 'sahf': return { reads: 0, defines: ARITH & ~OF, undefined: 0 }; // AH holds no OF (SDM SAHF)
    case 'popfq': return ALL;
    case 'lahf': case 'pushfq': return { reads: ARITH, defines: 0, undefined: 0 };
    case 'clc': case 'stc': return { reads: 0, defines: CF, undefined: 0 };
    case 'cmc': return { reads: CF, defines: CF, undefined: 0 };
    case 'loope': case 'loopne': return { reads: ZF, defines: 0, undefined: flagEffect('and', []).undefined };
    case 'loop': case 'jrcxz': case 'jecxz': case 'jmp': return { reads: 0, defines: 0, undefined: flagEffect('and', []).undefined };
    case 'shl': case 'sal': case 'shr': case 'sar': case 'rol': case 'ror': case 'rcl': case 'rcr':
      return shiftEffect(op, size, form, bytes, undef);
    case 'shld': case 'shrd': {
      const count = form.includes(', cl') ? -1 : bytes[bytes.length - 1] & (size === 64 ? 63 : 31);
      if (count === 0) return NONE;
      // Beyond the operand size the result and all flags are undefined (SDM SHLD); the 16-bit CL
      // forms set CL to 0..16 themselves (forms.ts), so only immediates can get there.
      const beyond = count > size;
      if (beyond) return { reads: 0, defines: 0, undefined: undef('shxd', ARITH) };
      // A CL count may be 0 (flags unaffected), so nothing counts as defined.
      if (count < 0) return { reads: 0, defines: 0, undefined: undef('shxd', AF | OF) };
      return { reads: 0, defines: CF | SF | ZF | PF | (count === 1 ? OF : 0), undefined: undef('shxd', AF | (count === 1 ? 0 : OF)) };
    }
  }
  return NONE;
}

function shiftEffect(op: string, size: number, form: string, bytes: number[], undef: (f: string, m: number) => number): FlagEffect {
  const rotateThroughCarry = op === 'rcl' || op === 'rcr', rotate = op === 'rol' || op === 'ror';
  const reads = rotateThroughCarry ? CF : 0;
  const masked = (c: number) => c & (size === 64 ? 63 : 31);
  const count = form.includes(', 1 ') ? 1 : form.includes(', cl') ? -1 : masked(bytes[bytes.length - 1]);
  if (count === 0) return { reads, defines: 0, undefined: 0 };
  const ofUndefined = count === 1 ? 0 : OF;
  if (rotate || rotateThroughCarry) {
    // A CL count may be 0 (flags unaffected) or a multiple of the size: CF is then still defined.
    const narrowCarry = rotateThroughCarry && size < 32; // count taken mod 9 / mod 17
    return { reads, defines: count < 0 ? 0 : CF | (count === 1 ? OF : 0), undefined: undef(narrowCarry ? 'rcx-narrow' : 'rotate', ofUndefined) };
  }
  // SHL/SHR/SAR: CF undefined when the count reaches the operand size (only 8/16-bit can, after masking).
  const cfUndefined = (op !== 'sar') && (size === 8 || size === 16) && (count < 0 || count >= size) ? CF : 0;
  if (count < 0) return { reads, defines: 0, undefined: undef('shift', AF | OF | cfUndefined) };
  return { reads, defines: (CF & ~cfUndefined) | SF | ZF | PF | (count === 1 ? OF : 0), undefined: undef('shift', AF | ofUndefined | cfUndefined) };
}
