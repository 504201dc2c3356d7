// The Chrome JSON trace export (emulator/trace/chromeTrace.ts): the hello-hypercall run's
// records converted and checked against the format's rules and against the records
// themselves; the rule checker is shown to catch each broken rule; the CLI's --trace-format.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromeTrace, GUEST_TID, HOST_TID, renderChromeTrace, type ChromeTraceEvent, type ChromeTraceSource } from '../../emulator/trace/chromeTrace';
import type { TraceRecord } from '../../emulator/trace/record';
import { buildSample, guestElf, hostElf, root, runSample } from '../sample/sampleRun';
import { chromeTraceProblems } from './chromeTraceRules';

let records: readonly TraceRecord[];
let events: ChromeTraceEvent[];

beforeAll(() => {
  buildSample();
  records = runSample(guestElf).trace;
  events = JSON.parse(renderChromeTrace(records)).traceEvents;
});

const us = (r: TraceRecord) => Number(r.tsc) / 1000;
const on = (tid: number, ph: string) => events.filter((e) => e.tid === tid && e.ph === ph);

describe('Chrome JSON trace of the hello-hypercall run', () => {
  it('keeps the rules of the Trace Event Format', () => {
    expect(records.length).toBeGreaterThan(20);
    expect(chromeTraceProblems(renderChromeTrace(records))).toEqual([]);
  });

  it('names the two tracks host and guest', () => {
    const names = events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args?.name]);
    expect(names).toEqual(expect.arrayContaining([[HOST_TID, 'host'], [GUEST_TID, 'guest']]));
  });

  it('has a host slice per kvm_exit, named by its reason, lasting until the next kvm_entry', () => {
    const exits = records.filter((r) => r.event === 'kvm_exit');
    const slices = on(HOST_TID, 'X');
    expect(slices.map((s) => [s.name, s.ts])).toEqual(exits.map((r) => [r.fields.reason, us(r)]));
    for (const [i, slice] of slices.entries()) {
      const exit = records.indexOf(exits[i]);
      const entry = records.slice(exit).find((r) => r.event === 'kvm_entry') ?? records[records.length - 1];
      expect(slice.ts! + slice.dur!).toBeCloseTo(us(entry), 6);
      expect(slice.args?.rip).toBe(`0x${(exits[i].fields.rip as bigint).toString(16)}`);
    }
    expect(slices.map((s) => s.name)).toContain('VMCALL');
  });

  it('has a guest slice per kvm_entry, lasting until the next kvm_exit', () => {
    const entries = records.filter((r) => r.event === 'kvm_entry');
    const slices = on(GUEST_TID, 'X');
    expect(slices.map((s) => s.ts)).toEqual(entries.map(us));
    for (const [i, slice] of slices.entries()) {
      const next = records.slice(records.indexOf(entries[i])).find((r) => r.event === 'kvm_exit');
      if (!next) continue;
      expect(slice.ts! + slice.dur!).toBeCloseTo(us(next), 6);
      expect(slice.args?.exit_reason).toBe(next.fields.reason);
    }
  });

  it('has an instant on the host track for each kvm_hypercall and trace_printk, fields as args', () => {
    const instants = on(HOST_TID, 'i');
    const wanted = records.filter((r) => r.event === 'kvm_hypercall' || r.event === 'trace_printk');
    expect(instants.map((e) => [e.name, e.ts])).toEqual(wanted.map((r) => [r.event, us(r)]));
    expect(instants).toContainEqual(expect.objectContaining({ name: 'trace_printk', s: 't', args: { func: 'kvm_pv_hello_hypercall', msg: 'Hello World' } }));
    expect(instants).toContainEqual(expect.objectContaining({ name: 'kvm_hypercall', args: expect.objectContaining({ nr: '0x100' }) }));
    expect(on(GUEST_TID, 'i')).toEqual([]);
  });
});

describe('Chrome JSON trace edge cases', () => {
  const rec = (tsc: number, event: ChromeTraceSource['event'], fields: ChromeTraceSource['fields'] = {}): ChromeTraceSource => ({ tsc: BigInt(tsc), event, fields });

  it('starts no guest slice for a kvm_exit the ring kept without its kvm_entry, and ends open slices at the last record', () => {
    const t = chromeTrace([
      rec(1000, 'kvm_exit', { reason: 'HLT', rip: 5n }),
      rec(1500, 'trace_printk', { func: 'f', msg: 'm' }),
      rec(2000, 'kvm_entry', { rip: 6n }),
      rec(2500, 'kvm_exit', { reason: 'IO_INSTRUCTION', rip: 7n }),
      rec(4000, 'trace_printk', { func: 'f', msg: 'last' }),
    ]);
    const x = t.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.tid, e.name, e.ts, e.dur]);
    expect(x).toEqual([[HOST_TID, 'HLT', 1, 1], [GUEST_TID, 'guest', 2, 0.5], [HOST_TID, 'IO_INSTRUCTION', 2.5, 1.5]]);
    expect(chromeTraceProblems(JSON.stringify(t))).toEqual([]);
  });

  it('keeps sub-microsecond TSC differences the ftrace text rounds away', () => {
    const t = chromeTrace([rec(1_000_100, 'kvm_entry'), rec(1_000_400, 'kvm_exit', { reason: 'CPUID' })]);
    expect(t.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.ts, e.dur])).toEqual([[1000.1, expect.closeTo(0.3, 9)], [1000.4, 0]]);
  });
});

describe('the format rules checker', () => {
  const problems = (events: object[]) => chromeTraceProblems(JSON.stringify({ traceEvents: events }));
  const ev = (o: object) => ({ name: 'a', pid: 1, tid: 1, ...o });

  it('rejects what breaks a rule, one sentence each', () => {
    expect(chromeTraceProblems('{"traceEvents": [')).toEqual([expect.stringMatching(/^not JSON/)]);
    expect(chromeTraceProblems('{}')).toEqual(['no traceEvents array']);
    expect(problems([ev({ ph: 'Q', ts: 0 })])).toEqual([expect.stringMatching(/ph "Q" is not a phase/)]);
    expect(problems([ev({ ph: 'B', ts: 0 })])).toEqual(['B "a" on track 1/1 has no E']);
    expect(problems([ev({ ph: 'E', ts: 0 })])).toEqual([expect.stringMatching(/E with no open B/)]);
    expect(problems([ev({ ph: 'B', ts: 0 }), ev({ ph: 'E', ts: 1, tid: 2 })])).toHaveLength(2);
    expect(problems([ev({ ph: 'i', ts: 5 }), ev({ ph: 'i', ts: 4 })])).toEqual([expect.stringMatching(/ts goes back in time/)]);
    expect(problems([ev({ ph: 'X', ts: 0, dur: 5 }), ev({ ph: 'X', ts: 2, dur: 5 })])).toEqual([expect.stringMatching(/overlaps the slice "a"/)]);
    expect(problems([ev({ ph: 'X', ts: 0 })])).toEqual([expect.stringMatching(/X needs a dur/)]);
    expect(problems([ev({ ph: 'i', ts: 0, s: 'x' })])).toEqual([expect.stringMatching(/instant scope "x"/)]);
  });

  it('accepts nested and back-to-back slices, and B/E pairs', () => {
    expect(problems([
      ev({ ph: 'X', ts: 0, dur: 5 }), ev({ ph: 'X', ts: 1, dur: 2 }), ev({ ph: 'X', ts: 5, dur: 1 }),
      ev({ ph: 'B', ts: 7 }), ev({ ph: 'i', ts: 8, s: 't' }), ev({ ph: 'E', ts: 9 }),
    ])).toEqual([]);
  });
});

describe('hcdbg run --trace-format', () => {
  const cli = join(root, 'dist', 'hcdbg.js');

  it('writes the Chrome JSON trace with --trace-format chrome, and refuses an unknown format in one sentence', () => {
    if (!existsSync(cli)) throw new Error('dist/hcdbg.js is missing: run `npm run build` first (npm test does).');
    const dir = mkdtempSync(join(tmpdir(), 'hc-chrome-'));
    try {
      const file = join(dir, 'trace.json');
      const r = spawnSync(process.execPath, [cli, 'run', '--guest', guestElf, '--host', hostElf, '--trace-format', 'chrome', '--trace-file', file], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(chromeTraceProblems(text)).toEqual([]);
      expect(JSON.parse(text).traceEvents).toContainEqual(expect.objectContaining({ name: 'trace_printk', args: { func: 'kvm_pv_hello_hypercall', msg: 'Hello World' } }));
      const bad = spawnSync(process.execPath, [cli, 'run', '--guest', guestElf, '--trace-format', 'perfetto'], { encoding: 'utf8', timeout: 60_000 });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe('hcdbg: --trace-format is ftrace or chrome, not "perfetto".\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
