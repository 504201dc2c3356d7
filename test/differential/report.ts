// Command-line report of differential mismatches, for working on the interpreter:
//   npx vite-node test/differential/report.ts [cases=20000] [maxInstructions=4] [seed=1] [examples=1]
// Prints each mismatch class (forms :: differing items) with its count and a few example cases.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCase, differences } from './compare';
import { EmulatorRunner } from './emulatorRunner';
import { generateCases } from './generator';
import { HYPERVISOR_DECIDED, comparedIndices, nonArchitecturalForms } from './nativeProbe';
import { runNative } from './nativeRunner';

const [count = 20000, maxLength = 4, seed = 1, examples = 1] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'hcdbg-report-'));
const excluded = nonArchitecturalForms(HYPERVISOR_DECIDED, dir);
for (const [form, reason] of excluded) console.log(`not comparing "${form}": ${reason}.`);
const cases = generateCases(seed, count, maxLength);
const compared = comparedIndices(cases, excluded);
const native = runNative(compared.map((i) => cases[i]), dir);
const emulator = new EmulatorRunner();
const classes = new Map<string, number>();
let mismatches = 0;
compared.forEach((i, k) => {
  const c = cases[i];
  const d = differences(c, native[k], emulator.run(c));
  if (d.length === 0) return;
  mismatches++;
  const key = `${c.forms.length === 1 ? c.forms[0] : `${c.forms.length} forms`} :: ${d.map((x) => x.split(':')[0]).join(', ')}`;
  const seen = classes.get(key) ?? 0;
  classes.set(key, seen + 1);
  if (seen < examples) console.log(`case ${i}: ${describeCase(c)}\n    ${d.join('\n    ')}`);
});
console.log(`${mismatches} of ${compared.length} cases differ`);
for (const [key, n] of [...classes].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${key}`);
rmSync(dir, { recursive: true, force: true });
