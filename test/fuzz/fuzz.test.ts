// Fuzz test: random bytes executed as code for millions of instructions. Whatever the bytes,
// each step either retires an instruction or delivers an architectural exception through the
// IDT; no JavaScript exception escapes the interpreter and every step returns (a fixed step
// budget; a step that never returned would hit vitest's test timeout).

import { fuzzRandomCode } from './randomCode';

const SEEDS = [11, 22, 33, 44];
const STEPS_PER_SEED = 750_000;

describe('random bytes as code', () => {
  let total = 0;
  const vectors = new Set<number>();

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS_PER_SEED} steps end only in architectural exceptions`, () => {
      const report = fuzzRandomCode(seed, STEPS_PER_SEED); // throws if a JavaScript error escapes step()
      expect(report.steps).toBe(STEPS_PER_SEED);
      expect(report.retired).toBeGreaterThan(STEPS_PER_SEED / 2);
      for (const v of report.vectors.keys()) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(256);
        vectors.add(v);
      }
      expect(report.shutdowns).toBe(0); // the IST stack and handlers make every exception deliverable
      total += report.retired;
    });
  }

  it('executed millions of instructions and saw the common faults', () => {
    expect(total).toBeGreaterThan(2_000_000);
    for (const v of [6, 13, 14]) expect(vectors.has(v), `vector ${v}`).toBe(true); // #UD, #GP, #PF
  });
});
