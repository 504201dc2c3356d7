// The trace buffer as a ring: the newest records are kept, every written record is counted,
// the header reports both like the kernel's. As history's timeline of records, going back
// keeps the future: regenerated records reach listeners with their first step, a restore
// forward gets them back, and a different record or a changed past drops what was kept.

import { makeTraceRecord, renderTrace } from '../../emulator/trace/ftrace';
import { HC_TRACE_RECORD_WORDS } from '../../emulator/trace/hostTraceRecord';
import { TraceBuffer } from '../../emulator/trace/traceBuffer';

const record = (seq: number) => makeTraceRecord(seq, BigInt(seq) * 1000n, 'kvm_entry', { vcpu: 0, rip: BigInt(seq) }, BigInt(seq), 'guest');

/** A kvm_entry as the host writes it (struct hc_trace_record). */
function entryWords(rip: number): Uint32Array {
  const w = new Uint32Array(HC_TRACE_RECORD_WORDS);
  w[0] = 1; // kvm_entry
  w[8] = rip; // args[0]
  return w;
}

/** A buffer whose steps count up by 10 per record emitted, with what its listener saw. */
function stepped(capacity: number) {
  let now = 0;
  const b = new TraceBuffer(capacity, () => (now += 10));
  const seen: { seq: number; step: number; text: string }[] = [];
  b.onRecord((r, step) => seen.push({ seq: r.seq, step, text: r.text }));
  return { b, seen };
}

describe('TraceBuffer', () => {
  it('keeps everything below capacity and tells listeners about each record with its step', () => {
    const { b, seen } = stepped(100);
    for (let i = 0; i < 50; i++) b.push(record(b.written));
    expect(b.length).toBe(50);
    expect(b.written).toBe(50);
    expect(seen.map((s) => s.seq)).toEqual([...Array(50).keys()]);
    expect(seen[49].step).toBe(500);
  });

  it('drops the oldest records past capacity but counts them as written', () => {
    const b = new TraceBuffer(8);
    for (let i = 0; i < 1000; i++) b.push(record(b.written));
    expect(b.written).toBe(1000);
    expect(b.length).toBeGreaterThanOrEqual(8);
    expect(b.length).toBeLessThanOrEqual(9);
    const seqs = b.all.map((r) => r.seq);
    expect(seqs[seqs.length - 1]).toBe(999);
    expect(seqs).toEqual([...Array(seqs.length).keys()].map((k) => 1000 - seqs.length + k));
    expect(renderTrace(b.all, b.written).split('\n')[2]).toBe(`# entries-in-buffer/entries-written: ${b.length}/1000   #P:1`);
  });

  it('decodes a host record from its words, and keeps it when the words it came from change', () => {
    const { b } = stepped(100);
    const words = entryWords(0x10001f);
    b.pushHost(words, 0, 1_299_000_000n);
    words.fill(0xff); // the channel writes its next record there
    expect(b.all.map((r) => r.text)).toEqual(['         hc-host-1       [000] d..1.     1.299000: kvm_entry: vcpu 0, rip 0x10001f']);
    expect(b.all[0].rip).toBe(0x10001fn);
  });

  it('going back keeps the future: the same records again reach listeners with their first steps, and a restore forward gets them back', () => {
    const { b, seen } = stepped(100);
    for (let i = 0; i < 10; i++) b.pushHost(entryWords(i), 0, BigInt(i * 1000));
    const first = b.all.map((r) => r.text);
    b.moveTo(3);
    expect({ written: b.written, length: b.length }).toEqual({ written: 3, length: 3 });
    seen.length = 0;
    b.pushHost(entryWords(3), 0, 3000n);
    expect(seen).toEqual([{ seq: 3, step: 40, text: first[3] }]);
    b.moveTo(10);
    expect(b.all.map((r) => r.text)).toEqual(first);
    b.moveTo(3);
    b.pushHost(entryWords(3), 0, 3001n); // the same event at another TSC is another record
    b.moveTo(10);
    expect({ written: b.written, length: b.length }).toEqual({ written: 10, length: 0 });
  });

  it('a record that comes out different, or a changed past, drops the kept future; records read before keep their text', () => {
    const { b, seen } = stepped(100);
    for (let i = 0; i < 10; i++) b.pushHost(entryWords(i), 0, BigInt(i * 1000));
    const read = b.all[5], text = read.text;
    b.moveTo(5);
    seen.length = 0;
    b.pushHost(entryWords(0x55), 0, 5000n);
    expect(seen).toEqual([{ seq: 5, step: 110, text: b.all[5].text }]);
    expect(b.all[5].text).toContain('rip 0x55');
    expect(read.text).toBe(text);
    b.moveTo(10); // past what this timeline has: counted as written, none kept
    expect({ written: b.written, length: b.length }).toEqual({ written: 10, length: 0 });

    const { b: c } = stepped(100);
    for (let i = 0; i < 10; i++) c.push(record(c.written));
    c.moveTo(4);
    c.forgetFuture();
    c.moveTo(6);
    expect({ written: c.written, length: c.length }).toEqual({ written: 6, length: 0 });
  });

  it('going back further than it keeps: regenerated records reach listeners and are counted, not kept', () => {
    const { b, seen } = stepped(8);
    for (let i = 0; i < 100; i++) b.push(record(b.written));
    b.moveTo(2);
    expect({ written: b.written, length: b.length }).toEqual({ written: 2, length: 0 });
    seen.length = 0;
    b.push(record(2));
    expect(seen.map((s) => s.seq)).toEqual([2]);
    expect({ written: b.written, length: b.length }).toEqual({ written: 3, length: 0 });
    b.moveTo(100);
    expect(b.all.map((r) => r.seq)).toEqual([92, 93, 94, 95, 96, 97, 98, 99]);
  });
});
