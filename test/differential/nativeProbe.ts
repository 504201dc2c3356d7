// Forms whose native result a hypervisor decides rather than the CPU: in VMX non-root operation
// every VMX instruction causes a VM exit whatever the CPL (SDM vol. 3C 26.1.2), and a hypervisor
// that intercepts #DB or #BP delivers INT1/INT3 itself (INT1 comes back as a trap only when it is
// re-injected as a privileged software exception with its instruction length, SDM 25.8.3).
// Before comparing, each such form runs once natively on its own; one that does not end in its
// architectural exception at its architectural RIP is left out of the comparison, with the reason.
// The SDM unit tests (test/vmx/instructions.test.ts, test/cpu/system.test.ts) keep covering them.

import { CaseBuilder, type DiffCase } from './caseBuilder';
import { FORMS } from './forms';
import { runNative } from './nativeRunner';
import { Rng } from './rng';

/** How a form ends at CPL 3 per the SDM: the exception and whether RIP is past the instruction. */
export interface Architectural { vector: number; trap: boolean; rule: string }

const UD = 6;
const outsideVmx = (name: string): Architectural => ({ vector: UD, trap: false, rule: `${name} outside VMX operation (SDM vol. 3C ch. 31)` });

export const HYPERVISOR_DECIDED: ReadonlyMap<string, Architectural> = new Map([
  ...['vmcall', 'vmlaunch', 'vmresume', 'vmxoff', 'vmread rcx, rax', 'vmwrite rax, rcx', 'vmptrld m64', 'vmptrst m64', 'vmclear m64',
    'invept r64, m128', 'invvpid r64, m128'].map((f): [string, Architectural] => [f, outsideVmx(f.split(' ')[0].toUpperCase())]),
  // #GP(0) instead when CR4.VMXE is set (a hypervisor is loaded on this machine); the interpreter's CR4.VMXE is 0.
  ['vmxon m64', { vector: UD, trap: false, rule: 'VMXON with CR4.VMXE = 0 (SDM vol. 3C ch. 31)' }],
  ['int3', { vector: 3, trap: true, rule: 'INT3 (SDM vol. 2 "INT n/INTO/INT3/INT1")' }],
  ['int1', { vector: 1, trap: true, rule: 'INT1/ICEBP (SDM vol. 2 "INT n/INTO/INT3/INT1")' }],
]);

const VECTOR_NAMES: Record<number, string> = { 0: '#DE', 1: '#DB', 3: '#BP', 6: '#UD', 13: '#GP', 14: '#PF' };
const vectorName = (v: number) => (v < 0 ? 'no exception' : VECTOR_NAMES[v] ?? `vector ${v}`);
const where = (offset: number, c: DiffCase) => (offset === 0 ? 'at the instruction' : offset === c.code.length ? 'after it' : `at offset ${offset}`);

/** Indices of the cases that hold no left-out form (still those generateCases gave them). */
export function comparedIndices(cases: readonly DiffCase[], excluded: ReadonlyMap<string, string>): number[] {
  return [...cases.keys()].filter((i) => !cases[i].forms.some((f) => excluded.has(f)));
}

/** A case holding `form` alone. */
function soloCase(form: string): DiffCase {
  const f = FORMS.find((x) => x.name === form);
  if (!f) throw new Error(`no differential form "${form}"`);
  const b = new CaseBuilder(new Rng(1), new Set(f.implicit ?? []), !!f.stack);
  f.emit(b);
  return b.build(0, 0);
}

/**
 * Runs each form of `expected` natively, alone, and returns the ones whose result is not the
 * architectural one, each with one sentence saying what happened instead.
 */
export function nonArchitecturalForms(expected: ReadonlyMap<string, Architectural>, workDir: string): Map<string, string> {
  const forms = [...expected.keys()];
  const cases = forms.map(soloCase);
  const results = runNative(cases, workDir);
  const out = new Map<string, string>();
  forms.forEach((form, i) => {
    const want = expected.get(form)!, c = cases[i], got = results[i];
    const wantOffset = want.trap ? c.code.length : 0;
    if (got.vector === want.vector && got.ripOffset === wantOffset) return;
    out.set(form, `natively it ended in ${vectorName(got.vector)} ${where(got.ripOffset, c)}, where ${want.rule} raises ` +
      `${vectorName(want.vector)} ${where(wantOffset, c)}: a hypervisor, not the CPU, decided it here`);
  });
  return out;
}
