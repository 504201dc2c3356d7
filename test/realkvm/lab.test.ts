// The same guests on the model and on real Linux KVM (the lab: Debian's kernel with kvm-amd
// in qemu TCG), in one lab boot per kernel (bookworm's 6.1, trixie's 6.12): the sample, the
// KVM_HC_* table walk (64-bit, compatibility mode, CPL 3) with and without the hypercall
// module, a guest that triple faults, and the module loaded and unloaded 10 times while a
// guest issues hypercalls; then a boot whose job hangs, to see the deadline stop qemu and
// name the step.

import { buildVmm } from '../../realkvm/build';
import { compareRuns } from '../../realkvm/compare';
import { parseTrace } from '../../realkvm/ftraceText';
import { ensureLab, LAB_SERIES, labCacheDir, runLab, type LabKernel, type LabResult } from '../../realkvm/lab';
import { runOnModel, type GuestRun } from '../../realkvm/modelRun';
import { RealKvmError } from '../../realkvm/paths';
import { buildLabModule, guestRun } from '../../realkvm/realRun';
import { buildSample, guestElf, hostElf, testGuest } from '../sample/sampleRun';

// Each insmod and rmmod waits until the looping guest has printed that it saw the change
// (up to 60 s), so every load window is seen however busy the machine running the lab is.
const STRESS = `
./hcvmm --timeout-ms 300000 hypercall-loop.elf >/out/loop.console 2>/out/loop.stderr &
vmm=$!
seen() {
	n=0
	until grep -qx "$1" /out/loop.console; do
		n=$((n + 1)); [ $n -gt 1200 ] && { echo "never saw '$1'"; return 1; }; sleep 0.05
	done
}
seen "stock answers 0"
for i in 1 2 3 4 5 6 7 8 9 10; do
	insmod hcdbg_hc.ko || echo "insmod $i failed"
	seen "module answers $i" || break
	n=0
	until rmmod hcdbg_hc 2>/dev/null; do
		n=$((n + 1)); [ $n -gt 200 ] && { echo "rmmod $i failed"; break; }; sleep 0.05
	done
	seen "stock answers $i" || break
	echo "cycle $i done"
done
wait $vmm
echo "hcvmm status $?"
cat /out/loop.console /out/loop.stderr
`;

/** The lab of `series`, booted once for the tests of its describe block; undefined (and a printed reason) where it cannot be had. */
async function bootLab(series: typeof LAB_SERIES[number]): Promise<LabResult | undefined> {
  buildSample();
  const cache = labCacheDir();
  let kernel: LabKernel;
  try {
    kernel = await ensureLab(cache, series);
  } catch (e) {
    if (!(e instanceof RealKvmError)) throw e;
    console.log(`test/realkvm (Linux ${series}) skipped: ${e.message}`);
    return undefined;
  }
  // From here on the lab is there: a failure is a test failure, not a skip.
  const ko = await buildLabModule(cache, kernel);
  return runLab(kernel, buildVmm(cache), [
    { kind: 'guest', name: 'sample', elf: guestElf, trace: true, module: true },
    { kind: 'guest', name: 'table', elf: testGuest('kvm-hypercalls'), trace: true, module: true },
    { kind: 'guest', name: 'triple', elf: testGuest('triple-fault'), trace: true, module: true },
    { kind: 'guest', name: 'stock', elf: testGuest('kvm-hypercalls'), trace: true, module: false },
    { kind: 'script', name: 'stress', sh: STRESS, files: [testGuest('hypercall-loop')] },
  ], ko, 600_000);
}

describe.for(LAB_SERIES)('the model and real KVM (lab, Linux %s) agree', (series) => {
  let lab: LabResult | undefined;
  const real = (name: string, withAnswers = true): GuestRun => guestRun(lab!.steps.get(name), withAnswers);
  beforeAll(async () => { lab = await bootLab(series); }, 1_200_000);

  it.for([
    ['the sample guest', 'sample', guestElf],
    ['the KVM_HC_* table from 64-bit mode, compatibility mode and CPL 3', 'table', testGuest('kvm-hypercalls')],
  ])('on %s: console, every hypercall answer, the event sequence and the exit reasons', ([, name, elf], ctx) => {
    if (!lab) return ctx.skip();
    const verdict = compareRuns(runOnModel(hostElf, elf), real(name));
    for (const a of verdict.aspects) expect({ aspect: a.name, diff: a.diff }).toEqual({ aspect: a.name, diff: undefined });
    expect(verdict.agree).toBe(true);
    const hypercalls = verdict.aspects.find((a) => a.name === 'hypercalls')!;
    expect(hypercalls.summary).toMatch(/^[1-9]\d* hypercalls/);
  });

  it('gives the custom hypercalls from the module: Hello World in the real trace, the string in guest memory, bad buffers refused', (ctx) => {
    if (!lab) return ctx.skip();
    const sample = real('sample');
    expect(sample.console).toContain('Hello World\n');
    expect(sample.console).toContain('user: hello_hypercall() returned 0\n');
    const printks = parseTrace(sample.trace).filter((e) => e.kind === 'printk' && e.msg === 'Hello World');
    expect(printks).toEqual([{ kind: 'printk', func: 'kvm_pv_hello_hypercall', msg: 'Hello World' }]);
    const table = real('table').console;
    expect(table).toContain('string ok: 0x000000000000000b "Hello World"\n');
    expect(table).toContain('string short: 0xffffffffffffffea ""\n');       // -KVM_EINVAL
    expect(table).toContain('string beyond-ram: 0xfffffffffffffff2 ""\n');  // -KVM_EFAULT
    expect(table).toContain('string wraps: 0xfffffffffffffff2 ""\n');
    expect(table).toContain('cpl3 0x101: 0xffffffffffffffff\n');             // -KVM_EPERM before any handler
  });

  it('answers every other number exactly as stock KVM does with the module loaded', (ctx) => {
    if (!lab) return ctx.skip();
    const custom = /^(hc 0x100|string |compat 0xabcd123400000101|compat buffer)/;
    const withModule = real('table').console.split('\n'), stock = real('stock', false).console.split('\n');
    expect(withModule.length).toBe(stock.length);
    const differing = withModule.flatMap((l, i) => (l === stock[i] ? [] : [l]));
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.filter((l) => !custom.test(l))).toEqual([]);
    expect(stock).toContain('hc 0x100: 0xfffffffffffffc18'); // -KVM_ENOSYS without the module
  });

  it('ends a guest that triple faults the same way on both', (ctx) => {
    if (!lab) return ctx.skip();
    const model = runOnModel(hostElf, testGuest('triple-fault')), r = real('triple');
    expect(r.status).not.toBe(0);
    expect(r.ending).toBe('guest triple fault');
    expect(model.ending).toMatch(/^guest triple fault at rip 0x[0-9a-f]+$/);
    const verdict = compareRuns(model, r);
    expect(verdict.aspects.filter((a) => !a.agree).map((a) => `${a.name}\n${a.diff}`)).toEqual([]);
  });

  it('loads and unloads the module 10 times while a guest loops on hypercalls: no oops, no lost or wrong answer', (ctx) => {
    if (!lab) return ctx.skip();
    const out = lab.steps.get('stress')!.stdout;
    expect(out).not.toMatch(/insmod \d+ failed|rmmod \d+ failed|never saw/);
    expect(out.match(/cycle \d+ done/g)).toHaveLength(10);
    expect(out).toContain('hcvmm status 0');
    const m = /loop: (\d+) rounds, (\d+) answered by the module, (\d+) by stock KVM, (\d+) wrong/.exec(out);
    expect(m).not.toBeNull();
    const [rounds, hello, stock, wrong] = m!.slice(1).map(Number);
    expect(wrong).toBe(0);
    expect(hello + stock).toBe(rounds);
    expect(hello).toBeGreaterThan(0);   // the module answered during the run ...
    expect(stock).toBeGreaterThan(0);   // ... and stock KVM between its loads
    const sinceLoad = lab.dmesg.slice(lab.dmesg.indexOf('hcdbg_hc'));
    expect(sinceLoad).toContain('hcdbg_hc: 2 custom hypercalls added');
    expect(sinceLoad.split('\n').filter((l) => /Oops|BUG:|WARNING:|general protection|Call Trace/.test(l))).toEqual([]);
  });
});

it('names the step a lab hung in, and stops qemu at the deadline', async (ctx) => {
  let kernel: LabKernel;
  try {
    kernel = await ensureLab();
  } catch (e) {
    if (!(e instanceof RealKvmError)) throw e;
    return ctx.skip();
  }
  const hung = runLab(kernel, buildVmm(labCacheDir()), [
    { kind: 'script', name: 'first', sh: 'true' },
    { kind: 'script', name: 'stuck', sh: 'sleep 3600' },
  ], undefined, 60_000);
  await expect(hung).rejects.toThrow(/^The lab did not power off within 60 s; qemu was stopped \(in step stuck; the lab kernel (printed nothing|'s last lines: .+)\)\.$/);
}, 1_000_000);
