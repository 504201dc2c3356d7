// The Trace panel's data: a bounded ring of ftrace lines (the oldest are overwritten, as in
// the kernel's ring buffer), the rows the current filter shows, and the exit statistics.
// Pure TypeScript so it is unit-tested without VS Code; the panel and export use it.

import { renderChromeTrace, type ChromeTraceSource } from '../../emulator/trace/chromeTrace';
import { ftraceHeaderLines } from '../../emulator/trace/ftrace';
import { ExitStats } from './exitStats';
import { lineFields, parseFtraceLine, type FtraceLine, type TraceEventName } from './ftraceLine';
import { TRACE_EVENTS, type ExitStat, type TraceFilter } from './messages';

/** Where an event was emitted, as the adapter reported it (or as its kvm_exit/kvm_entry line says). */
export interface TraceOrigin {
  address: bigint;
  side: 'host' | 'guest';
}

export const DEFAULT_CAPACITY = 1_000_000;

/** What an export writes: every retained line, or only the rows the filter shows. */
export type ExportScope = 'all' | 'shown';

const UNPARSED = 255;
const EVENT_CODE: Record<TraceEventName, number> = { kvm_entry: 0, kvm_exit: 1, kvm_hypercall: 2, trace_printk: 3 };
const SIDE_NONE = 0;
const SIDE_HOST = 1;
const SIDE_GUEST = 2;

export class TraceModel {
  private readonly lines: string[] = [];
  private readonly events: Uint8Array;
  private readonly sides: Uint8Array;
  private readonly ripLo: Uint32Array;
  private readonly ripHi: Uint32Array;
  /** The TSC in ns the adapter reported per line (NaN: only the line's rounded timestamp is known). */
  private readonly tscNs: Float64Array;
  /** The moment of history right after the instruction that emitted each line (NaN: not known). */
  private readonly steps: Float64Array;
  /** Sequence numbers of the lines the filter shows, a ring parallel to the main one. */
  private readonly shown: Float64Array;
  private shownHead = 0;
  private shownCount = 0;
  private total = 0;
  /**
   * The first line that has not happened yet at the session's moment (`total` when all have):
   * after going back in time the lines after the moment stay, to be shown dimmed.
   */
  private futureFrom = 0;
  /** A moment was reported since the lines began: the panel marks the current line. */
  private momentKnown = false;
  private readonly exitStats = new ExitStats();
  private currentFilter: TraceFilter = { events: [...TRACE_EVENTS], text: '' };
  private eventMask = 0;
  private needle = '';
  private rowEpoch = 0;

  constructor(readonly capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`The trace buffer size must be a positive whole number of lines, not ${capacity}.`);
    this.events = new Uint8Array(capacity);
    this.sides = new Uint8Array(capacity);
    this.ripLo = new Uint32Array(capacity);
    this.ripHi = new Uint32Array(capacity);
    this.tscNs = new Float64Array(capacity);
    this.steps = new Float64Array(capacity);
    this.shown = new Float64Array(capacity);
    this.setFilter(this.currentFilter);
  }

  /** Lines ever appended (ftrace's entries-written). */
  get written(): number {
    return this.total;
  }

  /** Lines the ring still holds (ftrace's entries-in-buffer). */
  get retained(): number {
    return Math.min(this.total, this.capacity);
  }

  get filter(): TraceFilter {
    return { events: [...this.currentFilter.events], text: this.currentFilter.text };
  }

  /** Changes whenever a row number stops naming the same line (filter, clear, overwrite). */
  get epoch(): number {
    return this.rowEpoch;
  }

  /** How many rows the current filter shows. */
  get rowCount(): number {
    return this.shownCount;
  }

  /** The header for the current contents. */
  header(): string[] {
    return ftraceHeaderLines(this.retained, this.written);
  }

  /**
   * `tsc`: the record's TSC in ns, which the line prints rounded to the microsecond; `step`:
   * the moment of history right after the instruction that emitted it. While lines after
   * the session's moment are kept, the adapter is emitting them again: the same line takes
   * its place, a different one means the past changed and the old future goes.
   */
  append(line: string, origin?: TraceOrigin, tsc?: bigint, step?: number): void {
    if (this.futureFrom < this.total) {
      const oldest = this.total - this.retained;
      if (this.futureFrom >= oldest && this.lines[this.futureFrom % this.capacity] === line) {
        this.describe(this.futureFrom++ % this.capacity, line, origin, tsc, step);
        return;
      }
      this.truncate(this.futureFrom);
    }
    const seq = this.total++;
    const slot = seq % this.capacity;
    if (seq >= this.capacity) this.evict(seq - this.capacity);
    const parsed = this.describe(slot, line, origin, tsc, step);
    this.futureFrom = this.total;
    if (parsed?.event === 'kvm_exit' && parsed.exitReason) this.exitStats.exit(parsed.exitReason, parsed.timestampUs);
    else if (parsed?.event === 'kvm_entry') this.exitStats.entry(parsed.timestampUs);
    if (this.matches(slot)) this.pushShown(seq);
  }

  /** Stores what is known of line `line` in `slot`, and gives its parsed columns. */
  private describe(slot: number, line: string, origin: TraceOrigin | undefined, tsc: bigint | undefined, step: number | undefined): FtraceLine | undefined {
    const parsed = parseFtraceLine(line);
    this.lines[slot] = line;
    this.events[slot] = parsed ? EVENT_CODE[parsed.event] : UNPARSED;
    const address = origin?.address ?? parsed?.rip;
    const side = origin?.side ?? (parsed?.rip !== undefined ? 'guest' : undefined);
    this.sides[slot] = side === 'host' ? SIDE_HOST : side === 'guest' ? SIDE_GUEST : SIDE_NONE;
    this.ripLo[slot] = address === undefined ? 0 : Number(address & 0xffff_ffffn);
    this.ripHi[slot] = address === undefined ? 0 : Number((address >> 32n) & 0xffff_ffffn);
    this.tscNs[slot] = tsc === undefined ? NaN : Number(tsc);
    this.steps[slot] = step ?? NaN;
    return parsed;
  }

  /**
   * The session stopped at a moment when `written` lines had been emitted and `frontier`
   * is the furthest moment its timeline recorded: lines emitted after `frontier` belong to
   * a discarded future and go; the lines after `written` stay, not yet happened.
   */
  moveTo(written: number, frontier: number): void {
    let end = Math.max(written, this.total - this.retained);
    while (end < this.total && !(this.steps[end % this.capacity] > frontier)) end++;
    this.truncate(end);
    this.futureFrom = Math.max(this.total - this.retained, Math.min(written, this.total));
    this.momentKnown = true;
  }

  /** The session ended: no moment to mark, every line is part of the past. */
  forgetMoment(): void {
    this.futureFrom = this.total;
    this.momentKnown = false;
  }

  /**
   * The filtered row of the last line that has happened at the session's moment (-1: none
   * shown, or no moment known), and the first row not yet happened (`rowCount`: none).
   */
  momentRows(): { current: number; firstFuture: number } {
    // Shown seqs increase with the row: the rows before the future are found by bisection.
    let lo = 0;
    let hi = this.shownCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqOfRow(mid) < this.futureFrom) lo = mid + 1;
      else hi = mid;
    }
    return { current: this.momentKnown ? lo - 1 : -1, firstFuture: lo };
  }

  /** The moment of history right after the event of filtered row `row` was emitted, if known. */
  stepOfRow(row: number): number | undefined {
    if (row < 0 || row >= this.shownCount) return undefined;
    const step = this.steps[this.seqOfRow(row) % this.capacity];
    return Number.isNaN(step) ? undefined : step;
  }

  /** The text of filtered row `row`, and the next rows up to `count` of them. */
  rows(start: number, count: number): string[] {
    const out: string[] = [];
    const end = Math.min(this.shownCount, start + count);
    for (let row = Math.max(0, start); row < end; row++) out.push(this.lines[this.seqOfRow(row) % this.capacity]);
    return out;
  }

  /** Where the event of filtered row `row` was emitted, if known. */
  originOfRow(row: number): TraceOrigin | undefined {
    if (row < 0 || row >= this.shownCount) return undefined;
    return this.originOfSlot(this.seqOfRow(row) % this.capacity);
  }

  private originOfSlot(slot: number): TraceOrigin | undefined {
    const side = this.sides[slot];
    if (side === SIDE_NONE) return undefined;
    return { address: (BigInt(this.ripHi[slot]) << 32n) | BigInt(this.ripLo[slot]), side: side === SIDE_HOST ? 'host' : 'guest' };
  }

  setFilter(filter: TraceFilter): void {
    this.currentFilter = { events: TRACE_EVENTS.filter((e) => filter.events.includes(e)), text: filter.text };
    this.eventMask = this.currentFilter.events.reduce((mask, e) => mask | (1 << EVENT_CODE[e]), 0);
    this.needle = filter.text.toLowerCase();
    this.rowEpoch++;
    this.shownHead = 0;
    this.shownCount = 0;
    for (let seq = this.total - this.retained; seq < this.total; seq++) {
      if (this.matches(seq % this.capacity)) this.pushShown(seq);
    }
  }

  stats(): { stats: ExitStat[]; totalExits: number } {
    return { stats: this.exitStats.report(), totalExits: this.exitStats.totalExits };
  }

  /**
   * The lines as /sys/kernel/tracing/trace prints them: header, then every retained line, or
   * the shown ones with a header counting only those (as a kernel-side filter would).
   */
  exportText(scope: ExportScope = 'all'): string {
    const parts = scope === 'all' ? this.header() : ftraceHeaderLines(this.shownCount);
    for (const seq of this.exportSeqs(scope)) parts.push(this.lines[seq % this.capacity]);
    return parts.join('\n') + '\n';
  }

  /** The same lines as a Chrome JSON trace (emulator/trace/chromeTrace.ts); lines it cannot read are left out. */
  exportChrome(scope: ExportScope = 'all'): string {
    return renderChromeTrace(this.chromeSources(scope));
  }

  /** Each exported line read back into what the converter needs, one at a time. */
  private *chromeSources(scope: ExportScope): Generator<ChromeTraceSource> {
    for (const seq of this.exportSeqs(scope)) {
      const slot = seq % this.capacity;
      const parsed = parseFtraceLine(this.lines[slot]);
      if (!parsed) continue;
      const tsc = Number.isNaN(this.tscNs[slot]) ? BigInt(parsed.timestampUs) * 1000n : BigInt(this.tscNs[slot]);
      yield { tsc, event: parsed.event, fields: lineFields(parsed) };
    }
  }

  private *exportSeqs(scope: ExportScope): Generator<number> {
    if (scope === 'shown') for (let row = 0; row < this.shownCount; row++) yield this.seqOfRow(row);
    else for (let seq = this.total - this.retained; seq < this.total; seq++) yield seq;
  }

  /**
   * The lines from `written` on belong to a future that is gone (the past changed): drop
   * them, and count the summary again.
   */
  truncate(written: number): void {
    if (written >= this.total) return;
    const kept: Array<[string, TraceOrigin | undefined, bigint | undefined, number | undefined]> = [];
    for (let seq = this.total - this.retained; seq < written; seq++) {
      const slot = seq % this.capacity;
      const step = this.steps[slot];
      kept.push([this.lines[slot], this.originOfSlot(slot), Number.isNaN(this.tscNs[slot]) ? undefined : BigInt(this.tscNs[slot]), Number.isNaN(step) ? undefined : step]);
    }
    const momentKnown = this.momentKnown;
    this.clear();
    this.total = written - kept.length; // lines the ring had already let go of keep their numbers
    this.futureFrom = this.total;
    for (const [line, origin, tsc, step] of kept) this.append(line, origin, tsc, step);
    this.momentKnown = momentKnown;
  }

  clear(): void {
    this.lines.length = 0;
    this.rowEpoch++;
    this.total = 0;
    this.futureFrom = 0;
    this.momentKnown = false;
    this.shownHead = 0;
    this.shownCount = 0;
    this.exitStats.clear();
  }

  private matches(slot: number): boolean {
    const event = this.events[slot];
    // A line the parser does not know is shown only while every event is.
    if (event === UNPARSED ? this.currentFilter.events.length !== TRACE_EVENTS.length : (this.eventMask & (1 << event)) === 0) return false;
    return this.needle === '' || this.lines[slot].toLowerCase().includes(this.needle);
  }

  private pushShown(seq: number): void {
    this.shown[(this.shownHead + this.shownCount) % this.capacity] = seq;
    this.shownCount++;
  }

  /** Line `seq` is being overwritten: drop it from the shown rows (it can only be the first). */
  private evict(seq: number): void {
    if (this.shownCount > 0 && this.shown[this.shownHead] === seq) {
      this.shownHead = (this.shownHead + 1) % this.capacity;
      this.shownCount--;
      this.rowEpoch++;
    }
  }

  private seqOfRow(row: number): number {
    return this.shown[(this.shownHead + row) % this.capacity];
  }
}
