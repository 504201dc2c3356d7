// The compare view's alignment on real output: the sample guest's trace from the embedded
// machine (runOnModel) against a trace recorded from the lab (Debian 6.1, kvm-amd):
// fixtures/hello-lab.trace is `hcdbg real-kvm --guest samples/hello-hypercall/build/guest.elf --trace`.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { alignTraces } from '../../extension/realKvm/alignment';
import { eventLines } from '../../realkvm/ftraceText';
import { runOnModel } from '../../realkvm/modelRun';

const build = resolve(__dirname, '../../samples/hello-hypercall/build');
const realTrace = readFileSync(join(__dirname, 'fixtures', 'hello-lab.trace'), 'utf8');
const modelTrace = runOnModel(join(build, 'host.elf'), join(build, 'guest.elf')).trace;
const bodies = (trace: string) => eventLines(trace).map((l) => l.slice(l.indexOf(': ') + 2));
const hypercallLines = (trace: string) => bodies(trace).filter((l) => /^(kvm_hypercall|kvm_pv_hello_hypercall):/.test(l));

describe('alignTraces', () => {
  test('each trace appears whole and in order on its own side', () => {
    const rows = alignTraces(modelTrace, realTrace);
    expect(rows.flatMap((r) => (r.model === undefined ? [] : [r.model]))).toEqual(bodies(modelTrace));
    expect(rows.flatMap((r) => (r.real === undefined ? [] : [r.real]))).toEqual(bodies(realTrace));
  });

  test('the sample\'s hypercalls and Hello World line up, the VMX and SVM exit names counted as one', () => {
    const rows = alignTraces(modelTrace, realTrace);
    const same = rows.filter((r) => r.kind === 'same');
    expect(hypercallLines(modelTrace).length).toBeGreaterThan(2);
    expect(same.map((r) => r.real).filter((l) => hypercallLines(realTrace).includes(l!))).toEqual(hypercallLines(realTrace));
    const exits = same.filter((r) => r.model!.startsWith('kvm_exit'));
    expect(exits.some((r) => r.model!.includes('reason VMCALL') && r.real!.includes('reason hypercall'))).toBe(true);
    expect(exits.some((r) => r.model!.includes('reason HLT') && r.real!.includes('reason hlt'))).toBe(true);
    // KVM's own exits (nested page faults, host interrupts) have no model counterpart.
    expect(rows.some((r) => r.kind === 'real-only' && r.real!.includes('reason npf'))).toBe(true);
  });

  test('a changed message is one "changed" row; a missing hypercall is a model-only row', () => {
    const changed = alignTraces(modelTrace, realTrace.replace('Hello World', 'Hello Word'));
    expect(changed.filter((r) => r.kind === 'changed')).toEqual([
      { kind: 'changed', model: 'kvm_pv_hello_hypercall: Hello World', real: 'kvm_pv_hello_hypercall: Hello Word' },
    ]);
    const lastCall = hypercallLines(realTrace).filter((l) => l.startsWith('kvm_hypercall')).pop()!;
    const without = realTrace.split('\n').filter((l) => !l.endsWith(lastCall)).join('\n');
    const rows = alignTraces(modelTrace, without);
    expect(rows.filter((r) => r.kind === 'model-only' && r.model === lastCall)).toHaveLength(1);
  });
});
