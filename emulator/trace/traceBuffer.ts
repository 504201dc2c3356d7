// The machine's trace buffer: every record the trace channel produced, in order, plus the
// listeners that see each one as it happens. Snapshot/restore keeps only its length, since
// records are immutable and a restore can only go back in time.

import type { TraceRecord } from './record';

export class TraceBuffer {
  private readonly records: TraceRecord[] = [];
  private readonly listeners: ((r: TraceRecord) => void)[] = [];

  get length(): number { return this.records.length; }
  get all(): readonly TraceRecord[] { return this.records; }

  push(record: TraceRecord): void {
    this.records.push(record);
    for (const l of this.listeners) l(record);
  }

  onRecord(listener: (r: TraceRecord) => void): void { this.listeners.push(listener); }

  /** Drop records past `length` (restore of an earlier snapshot). */
  truncate(length: number): void { this.records.length = Math.min(length, this.records.length); }
}
