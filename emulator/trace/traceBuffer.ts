// The machine's trace buffer: the records the trace channel produced, in order, plus the
// listeners that see each one as it happens. Like the kernel's ring buffer it keeps the newest
// records when it overflows (at least `capacity` of them; older ones are dropped in batches so
// a push stays O(1)) and counts every record ever written. Snapshot/restore keeps only the
// written count, since records are immutable and a restore can only go back in time.

import type { TraceRecord } from './record';

/** Default number of records kept: about a million lines, a few hundred MB at most. */
export const DEFAULT_TRACE_CAPACITY = 1 << 20;

export class TraceBuffer {
  private records: TraceRecord[] = [];
  private writtenCount = 0;
  private readonly listeners: ((r: TraceRecord) => void)[] = [];

  constructor(readonly capacity = DEFAULT_TRACE_CAPACITY) {}

  /** Records in the buffer ("entries-in-buffer"). */
  get length(): number { return this.records.length; }
  /** Records ever written, including those dropped ("entries-written"); also the next record's seq. */
  get written(): number { return this.writtenCount; }
  /** The records kept, oldest first. */
  get all(): readonly TraceRecord[] { return this.records; }

  push(record: TraceRecord): void {
    this.records.push(record);
    this.writtenCount++;
    if (this.records.length >= this.capacity + Math.max(1, this.capacity >> 3)) {
      this.records = this.records.slice(this.records.length - this.capacity);
    }
    for (const l of this.listeners) l(record);
  }

  onRecord(listener: (r: TraceRecord) => void): void { this.listeners.push(listener); }

  /** Go back to the moment `written` records had been written (restore of an earlier snapshot). */
  rewind(written: number): void {
    if (written >= this.writtenCount) return;
    const keep = this.records.findIndex((r) => r.seq >= written);
    if (keep >= 0) this.records.length = keep;
    this.writtenCount = written;
  }

  /**
   * Go forward to the moment `written` records had been written when the ones after those kept
   * here are no longer at hand (a restore later in history than the machine keeps records for):
   * they count as written and, like anything older, are no longer in the buffer.
   */
  skipTo(written: number): void {
    if (written <= this.writtenCount) return;
    this.records = [];
    this.writtenCount = written;
  }
}
