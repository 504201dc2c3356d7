// Differential test of the interpreter against the machine's real CPU: 100,000 seeded random
// cases of 1-4 general-purpose integer instructions (every form in forms.ts) run natively by
// native/runner.c and in the interpreter; all 16 GPRs, the arithmetic flags and DF (less the
// SDM-undefined ones, flagEffects.ts), exceptions, the end RIP and the scratch window must agree
// (a disagreement counts once a second native run of the case reproduces the native result).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCase, differences } from './compare';
import { EmulatorRunner } from './emulatorRunner';
import { FORMS } from './forms';
import { generateCases } from './generator';
import { runNative, type CaseResult } from './nativeRunner';

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
      const suspects = new Map<number, CaseResult>();
      cases.forEach((c, i) => {
        c.forms.forEach((f) => formsSeen.add(f));
        if (native[i].vector >= 0) faults++;
        const emulated = emulator.run(c);
        if (differences(c, native[i], emulated).length) suspects.set(i, emulated);
      });
      // The VM this suite runs in has, under load, once delivered a #UD for a valid instruction
      // (seed 4 case 7662 of an earlier generator: POPCNT after BTS) that no rerun reproduced.
      // So a disagreement counts only if a second native run of the case confirms its result.
      const indices = [...suspects.keys()];
      const again = indices.length ? runNative(indices.map((i) => cases[i]), dir) : [];
      const failures: string[] = [];
      indices.forEach((i, k) => {
        const d = differences(cases[i], again[k], suspects.get(i)!);
        const first = differences(cases[i], native[i], again[k]);
        if (first.length) console.warn(`seed ${seed} case ${i}: native result not reproducible (${first.join('; ').replaceAll('emulator', 'rerun')})`);
        if (d.length && failures.length < 10) failures.push(`seed ${seed} case ${i}: ${describeCase(cases[i])}\n  ${d.join('\n  ')}`);
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
