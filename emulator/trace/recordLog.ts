// Trace records by seq, each with the step right after the instruction that emitted it, kept
// as the kernel's ring buffer keeps events: packed into pages of words, not as objects. The
// trace buffer keeps up to a million records (three per hypercall round trip); as objects,
// every garbage collection walked and copied them, and a long hypercall loop ran in bursts
// (docs/performance.md). A host record (hostTraceRecord.ts) is kept as its words and made
// again when read; any other record (a trace_printk's, with its strings) is kept as it is.
// The oldest records are dropped a page at a time once `keep` newer ones remain.

import { HC_TRACE_RECORD_WORDS, HOST_RECORD_WORDS, HostTraceRecord, packHostRecord } from './hostTraceRecord';
import type { TraceRecord } from './record';

/** Records per page: a power of two, at most a sixteenth of `keep` and 1,024. */
function pageSize(keep: number): number {
  let n = 1;
  while (n < 1024 && n * 16 <= keep) n *= 2;
  return n;
}

/** One page of records. A slot whose first word is 0 (no host event is 0) holds an object record. */
interface Page {
  readonly words: Uint32Array;
  readonly steps: Float64Array;
  objects: Map<number, TraceRecord> | undefined;
}

export class RecordLog {
  private pages: Page[] = [];
  /** Seq of pages[0]'s first slot. */
  private base = 0;
  private first = 0;
  private next = 0;
  private readonly perPage: number;

  constructor(private readonly keep: number) {
    this.perPage = pageSize(keep);
  }

  /** Seq of the oldest record kept. */
  get start(): number { return this.first; }
  /** Seq the next record gets. */
  get end(): number { return this.next; }

  /** Append a host record, its struct at `words[from]` and the TSC's halves (copied), as seq `end`; returns it as kept. */
  appendHost(words: Uint32Array, from: number, tscLo: number, tscHi: number, step: number): TraceRecord {
    const seq = this.next, page = this.slotPage(), at = this.slot(seq) * HOST_RECORD_WORDS;
    packHostRecord(page.words, at, words, from, tscLo, tscHi);
    this.appended(page, step);
    return new HostTraceRecord(seq, page.words, at);
  }

  /** Append `record` itself as seq `end`. */
  appendObject(record: TraceRecord, step: number): void {
    const page = this.slotPage(), slot = this.slot(this.next);
    page.words[slot * HOST_RECORD_WORDS] = 0;
    (page.objects ??= new Map()).set(slot, record);
    this.appended(page, step);
  }

  /** Whether the kept record `seq` is the host record appendHost would make of these. */
  holdsHost(seq: number, words: Uint32Array, from: number, tscLo: number, tscHi: number): boolean {
    const page = this.pageOf(seq), at = this.slot(seq) * HOST_RECORD_WORDS, kept = page.words;
    for (let k = 0; k < HC_TRACE_RECORD_WORDS; k++) if (kept[at + k] !== words[from + k]) return false;
    return kept[at + HC_TRACE_RECORD_WORDS] === tscLo && kept[at + HC_TRACE_RECORD_WORDS + 1] === tscHi;
  }

  /** The record `seq`, if kept. */
  get(seq: number): TraceRecord | undefined {
    if (seq < this.first || seq >= this.next) return undefined;
    const page = this.pageOf(seq), slot = this.slot(seq), at = slot * HOST_RECORD_WORDS;
    return page.words[at] === 0 ? page.objects!.get(slot) : new HostTraceRecord(seq, page.words, at);
  }

  /** The step stored with the kept record `seq`. */
  stepAt(seq: number): number { return this.pageOf(seq).steps[this.slot(seq)]; }

  /** Keep the records before `end` only; with none of them kept, the log is empty and `end` is next. */
  truncate(end: number): void {
    if (end >= this.next) return;
    if (end <= this.first) { this.restartAt(end); return; }
    const last = Math.floor((end - 1 - this.base) / this.perPage);
    this.pages.length = last + 1;
    // Records read before the truncation keep showing their page's words: appending goes to a copy.
    const page = this.pages[last], slots = this.slot(end - 1) + 1;
    const objects = page.objects && new Map([...page.objects].filter(([slot]) => slot < slots));
    this.pages[last] = { words: page.words.slice(), steps: page.steps.slice(), objects };
    this.next = end;
  }

  /** Empty the log; the next record appended is `seq`. */
  restartAt(seq: number): void {
    this.pages = [];
    this.base = this.first = this.next = seq;
  }

  private slot(seq: number): number { return (seq - this.base) % this.perPage; }
  private pageOf(seq: number): Page { return this.pages[Math.floor((seq - this.base) / this.perPage)]; }

  /** The page seq `end` goes into, a new one at a page boundary. */
  private slotPage(): Page {
    const p = Math.floor((this.next - this.base) / this.perPage);
    if (p === this.pages.length) {
      this.pages.push({ words: new Uint32Array(this.perPage * HOST_RECORD_WORDS), steps: new Float64Array(this.perPage), objects: undefined });
    }
    return this.pages[p];
  }

  private appended(page: Page, step: number): void {
    page.steps[this.slot(this.next)] = step;
    this.next++;
    while (this.pages.length > 1 && this.next - (this.base + this.perPage) >= this.keep) {
      this.pages.shift();
      this.base += this.perPage;
      this.first = Math.max(this.first, this.base);
    }
  }
}
