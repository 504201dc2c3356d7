// Trace records to the client as the custom DAP event `hypercall/trace` { record, line, step }:
// the TraceRecord with every bigint as a "0x..." string (JSON has no bigint), its ftrace line
// and the moment of history right after the instruction that emitted it, which the custom
// request `hypercall/goToStep` { step } takes the session to.

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

/** The body of a `hypercall/trace` event: what the Trace panel reads. */
export interface TraceEventBody { record: JsonTraceRecord; line: string; step: number }

export function traceEvent(record: TraceRecord, step: number): Event {
  const body: TraceEventBody = { record: traceRecordToJson(record), line: record.text, step };
  return new Event(TRACE_EVENT, body);
}
