// Trace records to the client as the custom DAP event `hypercall/trace` { entries }, each entry
// { record, line, step }: the TraceRecord with every bigint as a "0x..." string (JSON has no
// bigint), its ftrace line and the moment of history right after the instruction that emitted
// it, which the custom request `hypercall/goToStep` { step } takes the session to.

import { Event } from '@vscode/debugadapter';
import type { TraceRecord } from '../emulator/api';

export const TRACE_EVENT = 'hypercall/trace';
export const GO_TO_STEP = 'hypercall/goToStep';
/** DAP has Step Back (reverse next) but no reverse step out: this custom request is it. */
export const REVERSE_STEP_OUT = 'hypercall/reverseStepOut';
/** Sent before every stop: where in history the session is, and how much output that moment has produced. */
export const MOMENT_EVENT = 'hypercall/moment';

export interface MomentEventBody {
  step: number;
  /** The furthest moment recorded: steps between `step` and it have happened in this timeline but lie in the future. */
  frontier: number;
  /** Trace records and console characters (host, guest) produced up to `step`: output beyond them was truncated. */
  output: { trace: number; host: number; guest: number };
}

export type JsonTraceRecord = {
  [K in keyof TraceRecord]: TraceRecord[K] extends bigint ? string
    : TraceRecord[K] extends Record<string, bigint | number | string> ? Record<string, number | string> : TraceRecord[K];
};

const json = (v: bigint | number | string): number | string => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

export function traceRecordToJson(r: TraceRecord): JsonTraceRecord {
  return {
    seq: r.seq, tsc: json(r.tsc) as string, timestamp: r.timestamp, cpu: r.cpu, task: r.task, pid: r.pid, flags: r.flags,
    event: r.event, fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, json(v)])),
    rip: json(r.rip) as string, side: r.side, text: r.text,
  };
}

/** One trace record as the client gets it. */
export interface TraceEntry { record: JsonTraceRecord; line: string; step: number }
/** The body of a `hypercall/trace` event, what the Trace panel reads: the records since the last one, in order. */
export interface TraceEventBody { entries: TraceEntry[] }

/** Records per event at most. */
const BATCH = 1000;

/**
 * Trace records waiting to go out as one `hypercall/trace` event: a loop of hypercalls writes
 * three records per round trip, and an event each cost as much as the guest's run. The session
 * sends the batch before any other message (so a stop or response still follows the trace it
 * caused), when it holds BATCH records, and once the run in progress yields (a microtask).
 */
export class TraceBatch {
  private entries: TraceEntry[] = [];

  constructor(private readonly flush: () => void) {}

  add(record: TraceRecord, step: number): void {
    if (this.entries.length === 0) queueMicrotask(this.flush);
    const json = traceRecordToJson(record);
    this.entries.push({ record: json, line: json.text, step });
    if (this.entries.length >= BATCH) this.flush();
  }

  /** The event for the records waiting, if any; the batch is empty afterwards. */
  take(): Event | undefined {
    if (this.entries.length === 0) return undefined;
    const body: TraceEventBody = { entries: this.entries };
    this.entries = [];
    return new Event(TRACE_EVENT, body);
  }
}
