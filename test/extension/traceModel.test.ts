// The Trace panel's model: ftrace line parsing, event/text filters, the bounded ring, the
// perf-kvm-stat summary and the exported text, on lines in the exact /sys/kernel/tracing layout.
import { parseFtraceLine } from '../../extension/trace/ftraceLine';
import { TraceModel } from '../../extension/trace/traceModel';
import { TRACE_EVENTS } from '../../extension/trace/messages';
import { ftraceHeader } from '../../emulator/trace/ftrace';

const EXIT = '         hc-host-1       [000] .....     0.000120: kvm_exit: vcpu 0 reason VMCALL rip 0x100036 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000';
const HC = '         hc-host-1       [000] .....     0.000130: kvm_hypercall: nr 0x100 a0 0x0 a1 0x0 a2 0x0 a3 0x0';
const PRINTK = '         hc-host-1       [000] .....     0.000135: kvm_emulate_hypercall: Hello World';
const ENTRY = '         hc-host-1       [000] d..1.     0.000150: kvm_entry: vcpu 0, rip 0x100039';
const IO_EXIT = '         hc-host-1       [000] .....     0.000200: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x100050 info1 0x0000000003f80000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000';
const IO_ENTRY = '         hc-host-1       [000] d..1.     0.000210: kvm_entry: vcpu 0, rip 0x100052';

function loaded(capacity?: number): TraceModel {
  const model = new TraceModel(capacity);
  for (const line of [EXIT, HC, PRINTK, ENTRY, IO_EXIT, IO_ENTRY]) model.append(line);
  return model;
}

describe('parseFtraceLine', () => {
  it('reads the columns of a kvm_exit line, with the reason and the guest RIP', () => {
    expect(parseFtraceLine(EXIT)).toMatchObject({
      task: 'hc-host', pid: 1, cpu: 0, flags: '.....', timestampUs: 120, event: 'kvm_exit', exitReason: 'VMCALL', rip: 0x100036n,
    });
  });

  it('reads kvm_entry, kvm_hypercall and a trace_printk line named by its calling function', () => {
    expect(parseFtraceLine(ENTRY)).toMatchObject({ event: 'kvm_entry', flags: 'd..1.', rip: 0x100039n, timestampUs: 150 });
    expect(parseFtraceLine(HC)).toMatchObject({ event: 'kvm_hypercall', body: 'nr 0x100 a0 0x0 a1 0x0 a2 0x0 a3 0x0' });
    expect(parseFtraceLine(PRINTK)).toMatchObject({ event: 'trace_printk', func: 'kvm_emulate_hypercall', body: 'Hello World' });
  });

  it('reads a line from a real kernel (task name with a dash, reason with flags, large timestamp)', () => {
    const line = '   kworker/0:1-ev-4711    [003] d..1. 12345.678901: kvm_exit: vcpu 1 reason VMCALL FAILED_VMENTRY rip 0xffffffff81000000 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000';
    expect(parseFtraceLine(line)).toMatchObject({ task: 'kworker/0:1-ev', pid: 4711, cpu: 3, timestampUs: 12345678901, exitReason: 'VMCALL FAILED_VMENTRY', rip: 0xffffffff81000000n });
  });

  it('gives nothing for header and foreign lines', () => {
    expect(parseFtraceLine('# tracer: nop')).toBeUndefined();
    expect(parseFtraceLine('hello')).toBeUndefined();
  });
});

describe('TraceModel', () => {
  it('shows every line by default and filters by event', () => {
    const model = loaded();
    expect(model.rowCount).toBe(6);
    model.setFilter({ events: ['kvm_exit'], text: '' });
    expect(model.rows(0, 10)).toEqual([EXIT, IO_EXIT]);
    model.setFilter({ events: ['trace_printk', 'kvm_hypercall'], text: '' });
    expect(model.rows(0, 10)).toEqual([HC, PRINTK]);
  });

  it('filters by text, case-insensitively, together with the event filter', () => {
    const model = loaded();
    model.setFilter({ events: [...TRACE_EVENTS], text: 'hello world' });
    expect(model.rows(0, 10)).toEqual([PRINTK]);
    model.setFilter({ events: ['kvm_exit'], text: 'io_instr' });
    expect(model.rows(0, 10)).toEqual([IO_EXIT]);
    model.setFilter({ events: ['kvm_entry'], text: 'io_instr' });
    expect(model.rowCount).toBe(0);
  });

  it('keeps applying the filter to lines appended later', () => {
    const model = new TraceModel();
    model.setFilter({ events: ['trace_printk'], text: '' });
    model.append(EXIT);
    model.append(PRINTK);
    expect(model.rows(0, 10)).toEqual([PRINTK]);
  });

  it('counts VM exits per reason with share and exit-to-entry time, like perf kvm stat', () => {
    const model = loaded();
    model.append(EXIT.replace('0.000120', '0.000300'));
    model.append(ENTRY.replace('0.000150', '0.000302'));
    const { stats, totalExits } = model.stats();
    expect(totalExits).toBe(3);
    expect(stats.map((s) => [s.reason, s.count])).toEqual([['VMCALL', 2], ['IO_INSTRUCTION', 1]]);
    expect(stats[0].share).toBeCloseTo(2 / 3);
    expect(stats[0].timeUs).toBe(30 + 2);
    expect(stats[0].avgUs).toBe(16);
    expect(stats[1].timeUs).toBe(10);
    expect(stats[0].timeShare).toBeCloseTo(32 / 42);
  });

  it('remembers where each event was emitted: the adapter\'s origin, else the guest RIP of the line', () => {
    const model = new TraceModel();
    model.append(EXIT);
    model.append(PRINTK, { address: 0xffff_8000_0010_2345n, side: 'host' });
    expect(model.originOfRow(0)).toEqual({ address: 0x100036n, side: 'guest' });
    expect(model.originOfRow(1)).toEqual({ address: 0xffff_8000_0010_2345n, side: 'host' });
    model.append(HC);
    expect(model.originOfRow(2)).toBeUndefined();
  });

  it('is a bounded ring: the oldest lines are overwritten and the header says so', () => {
    const model = new TraceModel(4);
    for (let i = 0; i < 10; i++) model.append(PRINTK.replace('Hello World', `msg ${i}`));
    expect(model.retained).toBe(4);
    expect(model.written).toBe(10);
    expect(model.rows(0, 10).map((l) => l.slice(-5))).toEqual(['msg 6', 'msg 7', 'msg 8', 'msg 9']);
    expect(model.header()[2]).toBe('# entries-in-buffer/entries-written: 4/10   #P:1');
  });

  it('drops overwritten lines from the filtered rows too, and changes its epoch when rows move', () => {
    const model = new TraceModel(3);
    model.setFilter({ events: ['kvm_exit'], text: '' });
    model.append(EXIT);
    model.append(HC);
    const epoch = model.epoch;
    model.append(IO_EXIT);
    expect(model.rows(0, 5)).toEqual([EXIT, IO_EXIT]);
    model.append(HC); // overwrites EXIT
    expect(model.rows(0, 5)).toEqual([IO_EXIT]);
    expect(model.epoch).not.toBe(epoch);
  });

  it('exports the ftrace text: the kernel header, then every retained line', () => {
    const model = loaded();
    const text = model.exportText();
    expect(text).toBe(ftraceHeader(6) + [EXIT, HC, PRINTK, ENTRY, IO_EXIT, IO_ENTRY].join('\n') + '\n');
  });

  it('holds a million lines and filters them', () => {
    const model = new TraceModel(1_000_000);
    const lines = [EXIT, HC, PRINTK, ENTRY];
    for (let i = 0; i < 1_100_000; i++) model.append(lines[i & 3]);
    expect(model.retained).toBe(1_000_000);
    model.setFilter({ events: ['trace_printk'], text: 'hello' });
    expect(model.rowCount).toBe(250_000);
    expect(model.rows(249_999, 5)).toEqual([PRINTK]);
  });

  it('starts over on clear', () => {
    const model = loaded();
    model.clear();
    expect([model.rowCount, model.written, model.stats().totalExits]).toEqual([0, 0, 0]);
    expect(model.exportText()).toBe(ftraceHeader(0));
  });
});

describe('TraceModel after the session went back in time', () => {
  it('drops the lines after the moment, recounts the summary, and numbers new lines from there', () => {
    const model = loaded();
    model.truncate(3);
    expect(model.written).toBe(3);
    expect(model.rows(0, 10)).toEqual([EXIT, HC, PRINTK]);
    expect(model.stats().totalExits).toBe(1);
    expect(model.originOfRow(0)).toEqual({ address: 0x100036n, side: 'guest' });
    model.append(ENTRY);
    expect(model.written).toBe(4);
    expect(model.rows(0, 10)).toEqual([EXIT, HC, PRINTK, ENTRY]);
    model.truncate(10); // not back in time: nothing changes
    expect(model.written).toBe(4);
  });

  it('keeps the numbering of lines the ring already let go of', () => {
    const model = loaded(4); // holds the newest 4 of 6
    model.truncate(5);
    expect(model.written).toBe(5);
    expect(model.rows(0, 10)).toEqual([PRINTK, ENTRY, IO_EXIT]);
    model.truncate(1);
    expect(model.written).toBe(1);
    expect(model.rows(0, 10)).toEqual([]);
  });
});

describe('TraceModel at a moment of history ("Go to this event")', () => {
  // Each line with the step the adapter reports for it: right after the instruction that emitted it.
  const STEPS = [100, 140, 150, 180, 300, 320];
  function stepped(capacity?: number): TraceModel {
    const model = new TraceModel(capacity);
    [EXIT, HC, PRINTK, ENTRY, IO_EXIT, IO_ENTRY].forEach((line, i) => model.append(line, undefined, undefined, STEPS[i]));
    return model;
  }

  it('keeps each line\'s step, by filtered row', () => {
    const model = stepped();
    expect(model.stepOfRow(2)).toBe(150);
    model.setFilter({ events: ['kvm_exit'], text: '' });
    expect([model.stepOfRow(0), model.stepOfRow(1), model.stepOfRow(2)]).toEqual([100, 300, undefined]);
    expect(loaded().stepOfRow(0)).toBeUndefined(); // a line without a step
  });

  it('marks no moment until the session reports one, then the last line that happened and the lines after it', () => {
    const model = stepped();
    expect(model.momentRows()).toEqual({ current: -1, firstFuture: 6 });
    model.moveTo(6, 320);
    expect(model.momentRows()).toEqual({ current: 5, firstFuture: 6 });
    model.moveTo(2, 320); // went back to between kvm_hypercall and the trace_printk
    expect(model.momentRows()).toEqual({ current: 1, firstFuture: 2 });
    expect(model.written).toBe(6); // the future lines stay
    expect(model.rows(0, 10)).toEqual([EXIT, HC, PRINTK, ENTRY, IO_EXIT, IO_ENTRY]);
  });

  it('marks the last shown line before the moment when the filter hides the current one', () => {
    const model = stepped();
    model.setFilter({ events: ['kvm_exit'], text: '' });
    model.moveTo(4, 320); // the current line is kvm_entry, hidden
    expect(model.momentRows()).toEqual({ current: 0, firstFuture: 1 });
    model.moveTo(0, 320); // before every line
    expect(model.momentRows()).toEqual({ current: -1, firstFuture: 0 });
  });

  it('takes lines emitted again when running forward in place of the kept ones, without counting them twice', () => {
    const model = stepped();
    model.moveTo(2, 320);
    const epoch = model.epoch;
    model.append(PRINTK, { address: 0x2000n, side: 'host' }, undefined, 150);
    expect(model.written).toBe(6);
    expect(model.epoch).toBe(epoch); // rows still name the same lines
    expect(model.momentRows()).toEqual({ current: 2, firstFuture: 3 });
    expect(model.originOfRow(2)).toEqual({ address: 0x2000n, side: 'host' });
    expect(model.stats().totalExits).toBe(2);
  });

  it('drops the old future when a different line comes (the past changed), and numbers on from the moment', () => {
    const model = stepped();
    model.moveTo(2, 320);
    model.append(IO_EXIT, undefined, undefined, 160);
    expect(model.rows(0, 10)).toEqual([EXIT, HC, IO_EXIT]);
    expect(model.written).toBe(3);
    expect(model.momentRows()).toEqual({ current: 2, firstFuture: 3 });
    expect(model.stats().stats.map((s) => [s.reason, s.count]).sort()).toEqual([['IO_INSTRUCTION', 1], ['VMCALL', 1]]);
  });

  it('drops the lines after the frontier the session reports: that future was discarded', () => {
    const model = stepped();
    model.moveTo(2, 200); // history now ends at step 200: the IO exit and entry are gone
    expect(model.rows(0, 10)).toEqual([EXIT, HC, PRINTK, ENTRY]);
    expect(model.momentRows()).toEqual({ current: 1, firstFuture: 2 });
  });

  it('shows every line as past once the session ended', () => {
    const model = stepped();
    model.moveTo(2, 320);
    model.forgetMoment();
    expect(model.momentRows()).toEqual({ current: -1, firstFuture: 6 });
    model.append(IO_EXIT);
    expect(model.written).toBe(7); // appended after the kept lines, not in their place
  });
});
