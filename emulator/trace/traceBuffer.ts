// The machine's trace buffer: the records the trace channel produced, in order, each with the
// step right after the instruction that emitted it, plus the listeners that see each one as
// it happens. Like the kernel's ring buffer it keeps the newest records when it overflows (at
// least `capacity` of them; older ones are dropped a page at a time, recordLog.ts) and counts
// every record ever written.
//
// It is history's timeline of records too (docs/history.md). Going back (a restore) moves the
// written count back and keeps the records after it: running forward again regenerates them,
// and each one found the same as the kept one reaches listeners with its first step (a client
// takes it to go to the event); a restore forward gets them back. A record that comes out
// different, or a change of the past (forgetFuture), drops the kept future.

import { HALVES, split } from '../cpu/halves';
import { HOST_RECORD_WORDS, HostTraceRecord, packHostRecord } from './hostTraceRecord';
import type { TraceRecord } from './record';
import { RecordLog } from './recordLog';

/** Default number of records kept: about a million lines, about 100 MB. */
export const DEFAULT_TRACE_CAPACITY = 1 << 20;

type TraceListener = (record: TraceRecord, step: number) => void;

export class TraceBuffer {
  private readonly records: RecordLog;
  private writtenCount = 0;
  private readonly listeners: TraceListener[] = [];

  /** `stepNow`: the step a record emitted now is stamped with. */
  constructor(readonly capacity = DEFAULT_TRACE_CAPACITY, private readonly stepNow: () => number = () => 0) {
    this.records = new RecordLog(capacity);
  }

  /** Records in the buffer ("entries-in-buffer"). */
  get length(): number { return Math.max(0, this.writtenCount - this.records.start); }
  /** Records ever written, including those dropped ("entries-written"); also the next record's seq. */
  get written(): number { return this.writtenCount; }
  /** The records kept, oldest first (made from the packed log at each read). */
  get all(): readonly TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let seq = this.records.start; seq < this.writtenCount; seq++) out.push(this.records.get(seq)!);
    return out;
  }

  /** A host record: its struct hc_trace_record at `words[from]` (copied), emitted at `tsc`. */
  pushHost(words: Uint32Array, from: number, tsc: bigint): void {
    const seq = this.writtenCount, log = this.records;
    split(tsc);
    const tscLo = HALVES[0], tscHi = HALVES[1];
    if (seq < log.start) { this.emit(hostRecord(seq, words, from, tscLo, tscHi), this.stepNow()); return; }
    if (seq < log.end) {
      if (log.holdsHost(seq, words, from, tscLo, tscHi)) { this.emit(log.get(seq)!, log.stepAt(seq)); return; }
      log.truncate(seq);
    }
    const step = this.stepNow();
    this.emit(log.appendHost(words, from, tscLo, tscHi, step), step);
  }

  /** Any other record (kept as it is). */
  push(record: TraceRecord): void {
    const seq = this.writtenCount, log = this.records;
    if (seq < log.start) { this.emit(record, this.stepNow()); return; }
    if (seq < log.end) {
      if (log.get(seq)!.text === record.text) { this.emit(record, log.stepAt(seq)); return; }
      log.truncate(seq);
    }
    const step = this.stepNow();
    log.appendObject(record, step);
    this.emit(record, step);
  }

  onRecord(listener: TraceListener): void { this.listeners.push(listener); }

  /**
   * Go to the moment `written` records had been written (a restore). Forward, the records kept
   * count again; those no longer kept (further back than the buffer reaches) count as written
   * and, like anything older, are no longer in the buffer.
   */
  moveTo(written: number): void {
    if (written > this.records.end) this.records.restartAt(written);
    this.writtenCount = written;
  }

  /** What lay after this moment can no longer happen: the kept records after it go. */
  forgetFuture(): void { this.records.truncate(this.writtenCount); }

  /** `record` is written: counted, and told to listeners with the step it was first emitted at. */
  private emit(record: TraceRecord, step: number): void {
    this.writtenCount++;
    for (const l of this.listeners) l(record, step);
  }
}

/** A host record of its own, not kept in the buffer. */
function hostRecord(seq: number, words: Uint32Array, from: number, tscLo: number, tscHi: number): HostTraceRecord {
  const own = new Uint32Array(HOST_RECORD_WORDS);
  packHostRecord(own, 0, words, from, tscLo, tscHi);
  return new HostTraceRecord(seq, own, 0);
}
