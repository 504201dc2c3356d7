// Differential test of the interpreter against the machine's real CPU: 100,000 seeded random
// cases of 1-4 general-purpose integer instructions (every form in forms.ts) run natively by
// native/runner.c and in the interpreter; all 16 GPRs, the arithmetic flags and DF (less the
// SDM-undefined ones, flagEffects.ts), exceptions, the end RIP and the scratch window must agree
// (a disagreement counts once a second native run of the case reproduces the native result).
// Forms a hypervisor decides natively are compared only where this machine runs them the
// architectural way (nativeProbe.ts); the others are named in the output and left out.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCase, differences } from './compare';
import { EmulatorRunner } from './emulatorRunner';
import { FORMS } from './forms';
import { generateCases } from './generator';
import { HYPERVISOR_DECIDED, comparedIndices, nonArchitecturalForms } from './nativeProbe';
import { runNative, type CaseResult } from './nativeRunner';

const SEEDS = [1, 2, 3, 4, 5];
const CASES_PER_SEED = 20_000;

describe('interpreter vs the real CPU on random integer instruction sequences', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcdbg-differential-'));
  const emulator = new EmulatorRunner();
  const formsSeen = new Set<string>();
  let faults = 0;
  let excluded = new Map<string, string>();
  beforeAll(() => {
    excluded = nonArchitecturalForms(HYPERVISOR_DECIDED, dir);
    for (const [form, reason] of excluded) console.log(`differential: not comparing "${form}": ${reason}.`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${CASES_PER_SEED} cases agree`, () => {
      // Every machine generates the same cases (a failure's seed and index reproduce it); the
      // cases holding a left-out form are not compared.
      const all = generateCases(seed, CASES_PER_SEED);
      const compared = comparedIndices(all, excluded);
      const native = runNative(compared.map((i) => all[i]), dir);
      const suspects = new Map<number, CaseResult>();
      compared.forEach((i, k) => {
        all[i].forms.forEach((f) => formsSeen.add(f));
        if (native[k].vector >= 0) faults++;
        const emulated = emulator.run(all[i]);
        if (differences(all[i], native[k], emulated).length) suspects.set(k, emulated);
      });
      // The VM this suite runs in has, under load, once delivered a #UD for a valid instruction
      // (seed 4 case 7662 of an earlier generator: POPCNT after BTS) that no rerun reproduced.
      // So a disagreement counts only if a second native run of the case confirms its result.
      const suspectIndices = [...suspects.keys()];
      const again = suspectIndices.length ? runNative(suspectIndices.map((k) => all[compared[k]]), dir) : [];
      const failures: string[] = [];
      suspectIndices.forEach((k, n) => {
        const i = compared[k], c = all[i];
        const d = differences(c, again[n], suspects.get(k)!);
        const first = differences(c, native[k], again[n]);
        if (first.length) console.warn(`seed ${seed} case ${i}: native result not reproducible (${first.join('; ').replaceAll('emulator', 'rerun')})`);
        if (d.length && failures.length < 10) failures.push(`seed ${seed} case ${i}: ${describeCase(c)}\n  ${d.join('\n  ')}`);
      });
      expect(failures).toEqual([]);
    });
  }

  it('covered every instruction form, including exceptions', () => {
    const missing = FORMS.map((f) => f.name).filter((n) => !formsSeen.has(n) && !excluded.has(n));
    expect(missing).toEqual([]);
    expect(faults).toBeGreaterThan(100); // #DE from unguarded divisions, #GP from misaligned cmpxchg16b
  });
});
