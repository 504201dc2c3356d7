// Seeded generator of differential cases: 1-4 random instruction forms per case, at most one
// controlled form (placed first, it owns the initial state it needs), shared operands biased
// towards flag boundaries. Same seed, same cases.

import { CaseBuilder, RSP, type DiffCase } from './caseBuilder';
import { flagEffect } from './flagEffects';
import { FORMS, stackTop, type Form } from './forms';
import { Rng } from './rng';

export function generateCases(seed: number, count: number, maxLength = 4): DiffCase[] {
  const rng = new Rng(seed);
  const cases: DiffCase[] = [];
  while (cases.length < count) {
    const picks: Form[] = [];
    const n = 1 + rng.int(maxLength);
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
    if (b.code.length === 0) continue;
    const taint = undefinedFlagsOf(b);
    if (taint) cases.push(b.build(taint.end, taint.anywhere));
  }
  return cases;
}

/**
 * Follow undefined flags through the case. Undefined when the case reads one (the result
 * would differ for a reason the SDM allows), else the flags undefined at the end and anywhere.
 */
function undefinedFlagsOf(b: CaseBuilder): { end: number; anywhere: number } | undefined {
  let taint = 0, anywhere = 0;
  b.forms.forEach((form, i) => {
    const bytes = b.code.slice(...b.spans[i]);
    const e = flagEffect(form, bytes);
    if (e.reads & taint) taint = -1;
    if (taint < 0) return;
    // A jcc form skips an ALU instruction or not; an AND there leaves AF undefined.
    const skippedAnd = /^j[a-z]+ rel/.test(form) && bytes[bytes.length - 2] === 0x21 ? flagEffect('and', []).undefined : 0;
    taint = ((taint & ~e.defines) | e.undefined | skippedAnd);
    anywhere |= taint;
  });
  return taint < 0 ? undefined : { end: taint, anywhere };
}
