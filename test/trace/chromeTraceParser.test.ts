// The Chrome JSON trace read back by an independent parser of the format:
// @tracerbench/trace-model's buildModel (processes, threads named by their metadata, slices
// nested by their bounds). Skipped, with the reason printed, when the package is not installed.

import { createRequire } from 'node:module';
import { renderChromeTrace } from '../../emulator/trace/chromeTrace';
import type { TraceRecord } from '../../emulator/trace/record';
import { buildSample, guestElf, runSample } from '../sample/sampleRun';

const PARSER = '@tracerbench/trace-model';
const available = (() => {
  try {
    createRequire(import.meta.url).resolve(PARSER);
    return true;
  } catch {
    console.log(`Skipping the parser check of the Chrome JSON trace: the npm package ${PARSER} is not installed.`);
    return false;
  }
})();

interface ParsedEvent { name: string; start: number; end: number; parent: unknown; isComplete(): boolean; getStringArg(name: string): string | undefined }
interface ParsedThread { name: string; events: ParsedEvent[] }
interface ParsedModel { processes: { id: number; name: string; threads: ParsedThread[] }[] }

describe.skipIf(!available)(`the Chrome JSON trace read by ${PARSER}`, () => {
  let records: readonly TraceRecord[];
  let model: ParsedModel;

  beforeAll(async () => {
    buildSample();
    records = runSample(guestElf).trace;
    const { buildModel } = await import(PARSER) as { buildModel(trace: unknown): ParsedModel };
    model = buildModel(JSON.parse(renderChromeTrace(records)));
  });

  const thread = (name: string) => {
    const found = model.processes.flatMap((p) => p.threads).find((t) => t.name === name);
    if (!found) throw new Error(`the parser found no thread named ${name}`);
    return found;
  };

  it('finds the process and its host and guest tracks', () => {
    expect(model.processes.map((p) => p.name)).toContain('hc-host');
    expect(thread('host').events.length).toBeGreaterThan(0);
    expect(thread('guest').events.length).toBeGreaterThan(0);
  });

  it('reads one host slice per kvm_exit named by its reason, one guest slice per kvm_entry, none nested', () => {
    const hostSlices = thread('host').events.filter((e) => e.isComplete());
    expect(hostSlices.map((e) => e.name)).toEqual(records.filter((r) => r.event === 'kvm_exit').map((r) => r.fields.reason));
    const guestSlices = thread('guest').events.filter((e) => e.isComplete());
    expect(guestSlices).toHaveLength(records.filter((r) => r.event === 'kvm_entry').length);
    expect([...hostSlices, ...guestSlices].filter((e) => e.parent !== undefined)).toEqual([]);
  });

  it('reads the trace_printk instant with its message', () => {
    // By name: the package calls only Chromium's 'I' an instant, not the format's 'i'.
    const printk = thread('host').events.filter((e) => !e.isComplete() && e.name === 'trace_printk');
    expect(printk.map((e) => e.getStringArg('msg'))).toContain('Hello World');
  });
});
