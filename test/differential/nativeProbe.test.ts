// The probe that keeps hypervisor-decided forms out of the differential comparison, checked with
// forms the CPU itself decides at CPL 3 (a privilege #GP and #UD take priority over VM exits, SDM
// vol. 3C 26.1.1), so the expectations hold on bare metal and under any hypervisor.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nonArchitecturalForms } from './nativeProbe';

describe('native probe of hypervisor-decided forms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcdbg-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a form that ends natively as stated and leaves out one that does not, saying what happened', () => {
    const out = nonArchitecturalForms(new Map([
      ['hlt', { vector: 13, trap: false, rule: 'HLT at CPL 3' }],
      ['ud2', { vector: 6, trap: true, rule: 'a deliberately wrong UD2 rule' }],
    ]), dir);
    expect([...out.keys()]).toEqual(['ud2']);
    expect(out.get('ud2')).toBe('natively it ended in #UD at the instruction, where a deliberately wrong UD2 rule raises #UD after it: '
      + 'a hypervisor, not the CPU, decided it here');
  });
});
