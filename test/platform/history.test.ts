// Reverse execution (emulator/history/): "run to N, step back K" must be "run to N-K" in the
// whole machine state, for random stop points in the hello-hypercall sample and in a guest
// whose user program is random code; snapshots share unchanged pages; output is history.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MachineSnapshot } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import { VMCS_FIELDS } from '../../emulator/vmx/fields';
import { Rng } from '../differential/rng';

const root = resolve(__dirname, '../..');
const build = join(root, 'samples/hello-hypercall/build');

beforeAll(() => { execFileSync('make', ['-s', '-C', join(root, 'samples/hello-hypercall')], { stdio: 'pipe' }); });

/** The sample, or the sample whose user program was overwritten with random code (seeded). */
function boot(randomCode?: number): Machine {
  const m = Machine.boot({ hostElf: readFileSync(join(build, 'host.elf')), guestElf: readFileSync(join(build, 'guest.elf')) });
  if (randomCode !== undefined) {
    const userMain = m.guest.symbol('user_main')!.value;
    const physical = 0x1000000n + userMain; // the guest's RAM at guest_mem_base, identity-mapped (docs/platform.md)
    m.writeMemory(physical, new Rng(randomCode).bytes(256), 'physical');
  }
  return m;
}

/** Everything that decides what the machine does next, read from its parts (not from snapshot()). */
function fullState(m: Machine): Record<string, unknown> {
  const c = m.cpu;
  return {
    steps: m.steps, icount: c.icount, tsc: c.tsc, rip: c.rip, rflags: c.getRflags(), gpr: [...c.gpr],
    seg: c.seg.map((s) => ({ ...s })), gdtr: { ...c.gdtr }, idtr: { ...c.idtr },
    cr: [c.cr0, c.cr2, c.cr3, c.cr4, c.cr8, c.efer], dr: [...c.dr], msr: [...c.msr.entries()].sort(),
    switchedMsrs: [c.sysenterCs, c.sysenterEsp, c.sysenterEip, c.pat, c.debugctl],
    halted: c.halted, shutdown: c.shutdown, shadow: c.interruptShadow,
    memory: createHash('sha256').update(m.memory.bytes).digest('hex'),
    vmx: m.vmx.serialize(), inGuest: m.inGuest, lastExit: m.lastExit?.guestRip, entered: m.entered,
    vmcsAtLastExit: VMCS_FIELDS.map((f) => m.vmcsAtLastExit(f.encoding)),
    serial: [m['hostConsole'].save(), m['guestConsole'].save()], exitStatus: m.exitStatus,
    trace: m.traceRecords.map((r) => r.text),
  };
}

/** A fresh machine run forward to exactly `steps`. */
function straightTo(steps: number, randomCode?: number): Machine {
  const m = boot(randomCode);
  while (m.steps < steps) {
    const stop = m.run(steps - m.steps);
    if (stop.kind === 'poweroff' || stop.kind === 'halted' || stop.kind === 'shutdown') break;
  }
  return m;
}

/** Steps until the machine stops by itself, and what the guest printed. */
function wholeRun(randomCode?: number): { length: number; console: string } {
  const m = boot(randomCode);
  let console = '';
  m.onConsole((o) => { if (o.port === 'guest') console += o.text; });
  for (let stop = m.run(5_000_000); stop.kind === 'budget' && m.steps < 20_000_000; stop = m.run(5_000_000));
  return { length: m.steps, console };
}

/** RAM's non-zero 4 KiB pages by page number, in order. */
function nonZeroPages(ram: Uint8Array): Map<number, Uint8Array> {
  const pages = new Map<number, Uint8Array>();
  for (let p = 0; p * 4096 < ram.length; p++) {
    const page = ram.subarray(p * 4096, (p + 1) * 4096);
    if (page.some((b) => b !== 0)) pages.set(p, page);
  }
  return pages;
}

describe('history', () => {
  it.each([
    ['the sample', undefined, 11],
    ['a random-code guest', 0x5eed, 12],
  ])('run to N, step back K equals run to N-K in full machine state: %s', (_name, randomCode, seed) => {
    const rng = new Rng(seed);
    const { length, console } = wholeRun(randomCode);
    // The random user program never reaches the sample's hypercalls.
    expect(console.includes('Hello World')).toBe(randomCode === undefined);
    const m = boot(randomCode);
    m.enableHistory({ interval: 100_000 });
    const points = Array.from({ length: 4 }, () => rng.range(1, length)).sort((a, b) => a - b);
    for (const n of points) {
      while (m.steps < n) m.run(n - m.steps);
      const k = rng.range(1, Math.min(n, 250_000));
      m.history!.seek(n - k);
      expect(m.steps).toBe(n - k);
      expect(fullState(m)).toEqual(fullState(straightTo(n - k, randomCode)));
      m.history!.seek(n);
      expect(m.steps).toBe(n);
    }
  });

  it('restores the VMCS as the last VM exit left it, taken right at an exit, after later exits changed it', () => {
    const m = boot();
    m.stopOnVmExit = true;
    const toExit = () => { for (let stop = m.run(10_000_000); stop.kind !== 'vmexit'; stop = m.run(10_000_000)) expect(stop.kind).toBe('budget'); };
    toExit();
    const atFirst = VMCS_FIELDS.map((f) => m.vmcsAtLastExit(f.encoding));
    const snap = m.snapshot();
    toExit();
    toExit();
    expect(VMCS_FIELDS.map((f) => m.vmcsAtLastExit(f.encoding))).not.toEqual(atFirst);
    m.restore(snap);
    expect(VMCS_FIELDS.map((f) => m.vmcsAtLastExit(f.encoding))).toEqual(atFirst);
  });

  it('shares unchanged pages between snapshots and stays within its memory limit', () => {
    const m = boot();
    expect(m.snapshot().copiedBytes).toBeGreaterThan(0); // the first copies every non-zero page
    expect(m.snapshot().copiedBytes).toBe(0); // nothing ran since
    const history = m.enableHistory({ interval: 50_000, memoryLimit: 4 * 1024 * 1024 });
    for (let stop = m.run(1_000_000); stop.kind === 'budget' && m.steps < 3_000_000; stop = m.run(1_000_000));
    expect(history.snapshotCount).toBeGreaterThan(2);
    expect(history.memoryBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('a snapshot holds every page written since the one before: by compiled blocks, the interpreter, VMX, the debugger', () => {
    // Snapshots compare only the pages written since the last (PhysicalMemory.takeWritten), the
    // first those written since RAM was created: each must hold exactly RAM's non-zero pages.
    const m = boot();
    m.interpreter.compileAfter = 1;
    const pagesOf = (s: MachineSnapshot) => (s.data as { pages: Map<number, Uint8Array> }).pages;
    let compared = 0;
    for (let round = 0; round < 30 && m.exitStatus === undefined; round++) {
      if (round > 0) m.run(20_000); // the first: what the loader wrote
      if (round === 5) m.writeMemory(0x1000000n + 0x7000n, new Uint8Array([1, 2, 3]), 'physical');
      if (round === 6) m.restore(m.snapshot()); // a record of written pages starts at a restore too
      const pages = pagesOf(m.snapshot()), full = nonZeroPages(m.memory.bytes);
      expect([...pages.keys()].sort((a, b) => a - b)).toEqual([...full.keys()]);
      for (const [p, bytes] of full) expect(Buffer.compare(pages.get(p)!, bytes)).toBe(0);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
    expect(m.interpreter.compiledBlocks).toBeGreaterThan(0);
  });

  it('truncates console output and trace on going back and regenerates them going forward', () => {
    const m = boot();
    m.enableHistory({ interval: 200_000 });
    let out = '';
    const trace: string[] = [];
    m.onConsole((o) => { if (o.port === 'guest') out += o.text; });
    m.onTrace((r) => trace.push(r.text));
    for (let stop = m.run(1_000_000); stop.kind === 'budget'; stop = m.run(1_000_000));
    const first = { out, trace: [...trace], steps: m.steps };
    expect(first.out).toContain('Hello World');
    m.history!.seek(0);
    out = '';
    trace.length = 0;
    for (let stop = m.run(1_000_000); stop.kind === 'budget'; stop = m.run(1_000_000));
    expect({ out, trace, steps: m.steps }).toEqual(first);
  });

  it('keeps the trace of only the ring\'s reach, and going back and forth beyond it gives the same trace and steps', () => {
    // A ring of two records: the timeline keeps two to three, so nearly all of the sample's
    // records are dropped from both by the time it powers off.
    const m = Machine.boot({ hostElf: readFileSync(join(build, 'host.elf')), guestElf: readFileSync(join(build, 'guest.elf')), traceCapacity: 2 });
    const history = m.enableHistory({ interval: 100_000 });
    const seen: string[] = [];
    m.onTrace((r, step) => seen.push(`${step} ${r.text}`));
    const toEnd = () => { for (let stop = m.run(1_000_000); stop.kind === 'budget'; stop = m.run(1_000_000)); };
    toEnd();
    const first = { seen: [...seen], ring: m.traceRecords.map((r) => r.text), written: m.outputPosition().trace, steps: m.steps };
    expect(first.written).toBeGreaterThan(6);
    expect(first.ring).toHaveLength(2);
    // Back to the start, then forward to the end in one restore of the newest snapshot: the
    // records before what the timeline keeps count as written and are not in the ring.
    history.seek(0);
    expect(m.outputPosition().trace).toBe(0);
    history.seek(first.steps);
    expect({ ring: m.traceRecords.map((r) => r.text), written: m.outputPosition().trace }).toEqual({ ring: first.ring, written: first.written });
    // Back again and run forward: every record comes again, at the step it was first emitted at.
    history.seek(0);
    seen.length = 0;
    toEnd();
    expect({ seen, ring: m.traceRecords.map((r) => r.text), steps: m.steps }).toEqual({ seen: first.seen, ring: first.ring, steps: first.steps });
  });

  it('writing a register in the past discards the future', () => {
    const m = boot();
    const history = m.enableHistory({ interval: 100_000 });
    m.run(500_000);
    history.seek(250_000);
    m.setRegister('rax', 0x1234n);
    expect(history.frontier).toBe(250_000);
    history.seek(400_000); // no future to go to
    expect(m.steps).toBe(250_000);
    expect(m.register('rax')).toBe(0x1234n);
  });
});
