// Seeded generator of differential cases: 1-4 random instruction forms per case, at most one
// controlled form (placed first, it owns the initial state it needs), shared operands biased
// towards flag boundaries. Same seed, same cases.

import { CaseBuilder, RSP, type DiffCase } from './caseBuilder';
import { FORMS, stackTop, type Form } from './forms';
import { Rng } from './rng';

export function generateCases(seed: number, count: number): DiffCase[] {
  const rng = new Rng(seed);
  const cases: DiffCase[] = [];
  while (cases.length < count) {
    const picks: Form[] = [];
    const n = 1 + rng.int(4);
    while (picks.length < n) {
      const f = FORMS[rng.int(FORMS.length)];
      if (f.controlled) {
        if (picks.some((p) => p.controlled)) continue;
        picks.unshift(f);
      } else picks.push(f);
    }
    const implicit = new Set(picks.flatMap((f) => f.implicit ?? []));
    const stack = picks.some((f) => f.stack);
    const b = new CaseBuilder(rng, implicit, stack);
    if (stack) {
      b.setReg(RSP, BigInt(stackTop(b)));
      b.reserve(RSP);
    }
    for (const f of picks) f.emit(b);
    if (b.code.length > 0) cases.push(b.build());
  }
  return cases;
}
