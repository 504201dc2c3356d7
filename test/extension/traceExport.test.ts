// What "Export Trace" writes, on the hello-hypercall run's real trace lines: the panel's
// Chrome JSON trace is the same file the CLI writes from the records; "what is shown"
// exports only the filtered rows, "everything" ignores the filter; and the fallback that
// finds a trace line's source after the session ended.

import { renderChromeTrace } from '../../emulator/trace/chromeTrace';
import type { TraceRecord } from '../../emulator/trace/record';
import { nodeFileAccess } from '../../debug-adapter/nodeFileAccess';
import { lineFields, parseFtraceLine } from '../../extension/trace/ftraceLine';
import { OfflineSources } from '../../extension/trace/offlineSources';
import { TraceModel } from '../../extension/trace/traceModel';
import { TRACE_EVENTS } from '../../extension/trace/messages';
import { buildSample, guestElf, hostElf, root, runSample } from '../sample/sampleRun';
import { chromeTraceProblems } from '../trace/chromeTraceRules';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let records: readonly TraceRecord[];

beforeAll(() => {
  buildSample();
  records = runSample(guestElf).trace;
});

/** The panel as a session fills it: each line with the origin and TSC of its record. */
function panelModel(withTsc = true): TraceModel {
  const model = new TraceModel(10_000);
  for (const r of records) model.append(r.text, { address: r.rip, side: r.side }, withTsc ? r.tsc : undefined);
  return model;
}

describe('the Trace panel export', () => {
  it('reads every printed field back from the line with the record\'s value', () => {
    const value = (v: bigint | number | string | undefined) => (v === undefined || (typeof v === 'string' && !/^0x[0-9a-f]+$/.test(v)) ? v : BigInt(v));
    for (const r of records) {
      const fields = lineFields(parseFtraceLine(r.text)!);
      expect(Object.keys(fields).length).toBeGreaterThan(1);
      for (const [name, v] of Object.entries(fields)) expect([r.event, name, value(v)]).toEqual([r.event, name, value(r.fields[name])]);
    }
  });

  it('writes, as Chrome JSON, the file hcdbg --trace-format chrome writes from the records', () => {
    expect(panelModel().exportChrome('all')).toBe(renderChromeTrace(records));
  });

  it('falls back to the line\'s microsecond timestamp when the TSC is not known', () => {
    const text = panelModel(false).exportChrome('all');
    expect(chromeTraceProblems(text)).toEqual([]);
    const ts = JSON.parse(text).traceEvents.filter((e: { ph: string }) => e.ph !== 'M').map((e: { ts: number }) => e.ts);
    expect(ts).toEqual(ts.map(Math.round));
  });

  it('exports what the filter shows, or everything whatever the filter', () => {
    const model = panelModel();
    const all = model.exportText('all');
    model.setFilter({ events: ['kvm_exit'], text: 'VMCALL' });
    const exits = records.filter((r) => r.event === 'kvm_exit' && r.text.includes('VMCALL'));
    expect(exits.length).toBeGreaterThan(0);
    const shown = model.exportText('shown').split('\n');
    expect(shown.filter((l) => !l.startsWith('#') && l !== '')).toEqual(exits.map((r) => r.text));
    expect(shown[2]).toBe(`# entries-in-buffer/entries-written: ${exits.length}/${exits.length}   #P:1`);
    expect(model.exportText('all')).toBe(all);
    const chrome = JSON.parse(model.exportChrome('shown')).traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
    expect(chrome.map((e: { name: string }) => e.name)).toEqual(exits.map(() => 'VMCALL'));
    model.setFilter({ events: [...TRACE_EVENTS], text: '' });
    expect(model.exportChrome('shown')).toBe(model.exportChrome('all'));
  });
});

describe('trace line sources without a session', () => {
  const programs = { guest: guestElf, host: hostElf, cwd: root };

  it('finds the line that emitted a host event and the guest line of a kvm_exit', async () => {
    const sources = new OfflineSources(nodeFileAccess);
    const hypercall = records.find((r) => r.event === 'kvm_hypercall')!;
    const host = await sources.sourceFor(programs, 'host', hypercall.rip);
    if ('problem' in host) throw new Error(host.problem);
    expect(readFileSync(host.path, 'utf8').split('\n')[host.line - 1]).toMatch(/\btrace_kvm_hypercall\(/);
    const vmcall = records.find((r) => r.event === 'kvm_exit' && r.fields.reason === 'VMCALL')!;
    const guest = await sources.sourceFor(programs, 'guest', vmcall.rip);
    if ('problem' in guest) throw new Error(guest.problem);
    expect(guest.path).toMatch(/\.(c|h|S)$/);
  });

  it('says in one sentence when the ELF is missing or has no line for the address', async () => {
    const sources = new OfflineSources(nodeFileAccess);
    const missing = join(root, 'no-such', 'guest.elf');
    expect(await sources.sourceFor({ ...programs, guest: missing }, 'guest', 0x100000n)).toEqual({ problem: expect.stringMatching(new RegExp(`^Cannot read the guest ELF ${missing}: .+`)) });
    expect(await sources.sourceFor(programs, 'host', 0x10n)).toEqual({ problem: `The host ELF ${hostElf} has no source line for address 0x10.` });
  });
});
