// Compares one case's result from the interpreter with the real processor's: all 16 GPRs, the
// six arithmetic flags and DF (less those the SDM leaves undefined, see flagEffects.ts), where
// the case ended (RIP offset, exception vector) and the scratch window.

import type { DiffCase } from './caseBuilder';
import { ARITH } from './flagEffects';
import type { CaseResult } from './nativeRunner';

const DF = 0x400;
const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export function differences(c: DiffCase, native: CaseResult, emulated: CaseResult): string[] {
  const out: string[] = [];
  const hex = (v: bigint | number) => `0x${v.toString(16)}`;
  if (native.vector !== emulated.vector) out.push(`exception: native ${native.vector}, emulator ${emulated.vector}`);
  // Linux passes the hardware error code on in sigcontext.err for the vectors that push one.
  if (native.vector === emulated.vector && [10, 11, 12, 13, 17].includes(native.vector) && native.errorCode !== emulated.errorCode) {
    out.push(`error code: native ${hex(native.errorCode)}, emulator ${hex(emulated.errorCode)}`);
  }
  if (native.ripOffset !== emulated.ripOffset) out.push(`end offset: native ${native.ripOffset}, emulator ${emulated.ripOffset}`);
  for (let r = 0; r < 16; r++) {
    if (native.gpr[r] !== emulated.gpr[r]) out.push(`${NAMES[r]}: native ${hex(native.gpr[r])}, emulator ${hex(emulated.gpr[r])}`);
  }
  const mask = (ARITH | DF) & ~(native.vector >= 0 ? c.undefinedAnywhere : c.undefinedFlags);
  if ((native.rflags ^ emulated.rflags) & mask) out.push(`rflags: native ${hex(native.rflags & mask)}, emulator ${hex(emulated.rflags & mask)} (compared bits ${hex(mask)})`);
  for (let i = 0; i < native.window.length; i++) {
    if (native.window[i] !== emulated.window[i]) { out.push(`memory +${hex(i)}: native ${hex(native.window[i])}, emulator ${hex(emulated.window[i])}`); break; }
  }
  return out;
}

/** One line per case for reports and /tmp/team/cpu-bugs.md. */
export function describeCase(c: DiffCase): string {
  const regs = c.gpr.map((v, i) => `${NAMES[i]}=0x${v.toString(16)}`).join(' ');
  return `forms [${c.forms.join(' | ')}] code ${Buffer.from(c.code).toString('hex')} rflags=0x${c.rflags.toString(16)} ${regs}`;
}
