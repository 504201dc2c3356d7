// Differential test of the interpreter against the machine's real CPU: 100,000 seeded random
// cases of 1-4 general-purpose integer instructions (every form in forms.ts) run natively by
// native/runner.c and in the interpreter; all 16 GPRs, the arithmetic flags and DF (less the
// SDM-undefined ones, flagEffects.ts), exceptions, the end RIP and the scratch window must agree.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCase, differences } from './compare';
import { EmulatorRunner } from './emulatorRunner';
import { FORMS } from './forms';
import { generateCases } from './generator';
import { runNative } from './nativeRunner';

const SEEDS = [1, 2, 3, 4, 5];
const CASES_PER_SEED = 20_000;

describe('interpreter vs the real CPU on random integer instruction sequences', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcdbg-differential-'));
  const emulator = new EmulatorRunner();
  const formsSeen = new Set<string>();
  let faults = 0;

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${CASES_PER_SEED} cases agree`, () => {
      const cases = generateCases(seed, CASES_PER_SEED);
      const native = runNative(cases, dir);
      const failures: string[] = [];
      cases.forEach((c, i) => {
        c.forms.forEach((f) => formsSeen.add(f));
        if (native[i].vector >= 0) faults++;
        const d = differences(c, native[i], emulator.run(c));
        if (d.length && failures.length < 10) failures.push(`seed ${seed} case ${i}: ${describeCase(c)}\n  ${d.join('\n  ')}`);
      });
      expect(failures).toEqual([]);
    });
  }

  it('covered every instruction form, including exceptions', () => {
    const missing = FORMS.map((f) => f.name).filter((n) => !formsSeen.has(n));
    expect(missing).toEqual([]);
    expect(faults).toBeGreaterThan(100); // #DE from unguarded divisions, #GP from misaligned cmpxchg16b
  });
});
