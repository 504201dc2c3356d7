// Trace records as a Chrome JSON trace (the Trace Event Format that Perfetto UI and
// chrome://tracing open), because Perfetto's ftrace-text importer drops the kvm_* events.
// Two tracks of one process: the host and the guest. Every stretch of guest execution,
// kvm_entry to the next kvm_exit, is a complete ("X") slice on the guest track; every exit
// handling, kvm_exit to the next kvm_entry, is one on the host track named by its exit
// reason; kvm_hypercall and trace_printk are instant ("i") events on the host track with the
// fields their ftrace lines print as args. Timestamps are the deterministic TSC the ftrace lines print, in
// the format's microseconds but without their rounding.

import type { TraceEventName } from './record';
import type { TraceFields } from './ftrace';

/** What a converted event needs of a TraceRecord (the Trace panel rebuilds it from its lines). */
export interface ChromeTraceSource {
  /** TSC in nanoseconds (nominal 1 GHz), as the ftrace TIMESTAMP column before rounding. */
  tsc: bigint;
  event: TraceEventName;
  fields: TraceFields;
}

type ArgValue = number | string;

/** One event of the format; `ph` is X (complete), i (instant) or M (metadata). */
export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  /** Instant scope: the thread (track) it happened on. */
  s?: 't';
  cat?: string;
  args?: Record<string, ArgValue>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns';
}

export const CHROME_TRACE_PID = 1;
export const HOST_TID = 1;
export const GUEST_TID = 2;

const usOf = (tsc: bigint) => Number(tsc) / 1000;

/** The args of each event: the fields its ftrace line prints, so a trace read back from the text converts the same. */
const PRINTED_FIELDS: Record<TraceEventName, readonly string[]> = {
  kvm_entry: ['vcpu', 'rip'],
  kvm_exit: ['vcpu', 'reason', 'rip', 'info1', 'info2', 'intr_info', 'error_code'],
  kvm_hypercall: ['nr', 'a0', 'a1', 'a2', 'a3'],
  trace_printk: ['func', 'msg'],
};

/** Integers in hex as the line prints them (JSON has no 64-bit integers), vcpu in decimal. */
function args(event: TraceEventName, fields: TraceFields): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const name of PRINTED_FIELDS[event]) {
    const v = fields[name];
    if (v === undefined) continue;
    out[name] = typeof v === 'string' ? v : name === 'vcpu' ? Number(v) : `0x${v.toString(16)}`;
  }
  return out;
}

/** Chrome writes metadata with the category "__metadata"; some readers need every event to have one. */
function metadata(name: string, tid: number, value: Record<string, ArgValue>): ChromeTraceEvent {
  return { name, cat: '__metadata', ph: 'M', pid: CHROME_TRACE_PID, tid, args: value };
}

/**
 * The events of `records` (in emission order), each handed to `emit` once it is final, so
 * a long trace is never held as objects all at once. A slice still open at the last record
 * ends there; a kvm_exit with no kvm_entry before it (the ring dropped it) starts no guest
 * slice, since when the guest started running is unknown.
 */
function convert(records: Iterable<ChromeTraceSource>, emit: (event: ChromeTraceEvent) => void): void {
  emit(metadata('process_name', 0, { name: 'hc-host' }));
  emit(metadata('thread_name', HOST_TID, { name: 'host' }));
  emit(metadata('thread_name', GUEST_TID, { name: 'guest' }));
  emit(metadata('thread_sort_index', HOST_TID, { sort_index: 0 }));
  emit(metadata('thread_sort_index', GUEST_TID, { sort_index: 1 }));
  // Events in start order; the head waits while it is a slice whose end is not known yet.
  const pending: ChromeTraceEvent[] = [];
  let guestRun: ChromeTraceEvent | undefined;
  let exitHandling: ChromeTraceEvent | undefined;
  let last = 0;
  const close = (slice: ChromeTraceEvent | undefined, ts: number) => {
    if (slice) slice.dur = ts - slice.ts!;
  };
  const flush = () => {
    let done = 0;
    while (done < pending.length && pending[done] !== guestRun && pending[done] !== exitHandling) emit(pending[done++]);
    pending.splice(0, done);
  };
  for (const r of records) {
    const ts = usOf(r.tsc);
    last = ts;
    switch (r.event) {
      case 'kvm_entry':
        close(exitHandling, ts);
        exitHandling = undefined;
        guestRun = { name: 'guest', cat: 'kvm', ph: 'X', pid: CHROME_TRACE_PID, tid: GUEST_TID, ts, dur: 0, args: args(r.event, r.fields) };
        pending.push(guestRun);
        break;
      case 'kvm_exit': {
        const exit = args(r.event, r.fields);
        close(guestRun, ts);
        if (guestRun) Object.assign(guestRun.args!, { exit_reason: exit.reason, exit_rip: exit.rip });
        guestRun = undefined;
        close(exitHandling, ts); // two exits in a row (a dropped kvm_entry): the first handling ends here
        exitHandling = { name: String(exit.reason), cat: 'kvm', ph: 'X', pid: CHROME_TRACE_PID, tid: HOST_TID, ts, dur: 0, args: exit };
        pending.push(exitHandling);
        break;
      }
      case 'kvm_hypercall':
      case 'trace_printk':
        pending.push({ name: r.event, cat: 'kvm', ph: 'i', s: 't', pid: CHROME_TRACE_PID, tid: HOST_TID, ts, args: args(r.event, r.fields) });
        break;
    }
    flush();
  }
  close(guestRun, last);
  close(exitHandling, last);
  guestRun = exitHandling = undefined;
  flush();
}

/** The Chrome trace of `records` as an object. */
export function chromeTrace(records: Iterable<ChromeTraceSource>): ChromeTrace {
  const traceEvents: ChromeTraceEvent[] = [];
  convert(records, (e) => traceEvents.push(e));
  return { traceEvents, displayTimeUnit: 'ns' };
}

/** The file: the trace as JSON, one event per line so it diffs and greps well. */
export function renderChromeTrace(records: Iterable<ChromeTraceSource>): string {
  const lines: string[] = [];
  convert(records, (e) => lines.push(JSON.stringify(e)));
  return `{"displayTimeUnit":"ns","traceEvents":[\n${lines.join(',\n')}\n]}\n`;
}
