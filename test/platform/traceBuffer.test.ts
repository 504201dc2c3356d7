// The trace buffer as a ring: the newest records are kept, every written record is counted,
// the header reports both like the kernel's, and restore rewinds by the written count.

import { makeTraceRecord, renderTrace } from '../../emulator/trace/ftrace';
import { TraceBuffer } from '../../emulator/trace/traceBuffer';

const record = (seq: number) => makeTraceRecord(seq, BigInt(seq) * 1000n, 'kvm_entry', { vcpu: 0, rip: BigInt(seq) }, BigInt(seq), 'guest');

describe('TraceBuffer', () => {
  it('keeps everything below capacity and tells listeners about each record', () => {
    const b = new TraceBuffer(100);
    const seen: number[] = [];
    b.onRecord((r) => seen.push(r.seq));
    for (let i = 0; i < 50; i++) b.push(record(b.written));
    expect(b.length).toBe(50);
    expect(b.written).toBe(50);
    expect(seen).toEqual([...Array(50).keys()]);
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

  it('rewinds to an earlier written count', () => {
    const b = new TraceBuffer(8);
    for (let i = 0; i < 20; i++) b.push(record(b.written));
    b.rewind(17);
    expect(b.written).toBe(17);
    expect(b.all.map((r) => r.seq).every((s) => s < 17)).toBe(true);
    expect(b.all[b.all.length - 1].seq).toBe(16);
    b.rewind(2); // before anything still kept
    expect(b.length).toBe(0);
    expect(b.written).toBe(2);
    b.push(record(b.written));
    expect(b.all[0].seq).toBe(2);
    b.rewind(5); // forward is not a rewind
    expect(b.written).toBe(3);
  });
});
