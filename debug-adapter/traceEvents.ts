// Trace records to the client as the custom DAP event `hypercall/trace` { record, line }:
// the TraceRecord with every bigint as a "0x..." string (JSON has no bigint), and its ftrace line.

import { Event } from '@vscode/debugadapter';
import type { TraceRecord } from '../emulator/api';

export const TRACE_EVENT = 'hypercall/trace';

export type JsonTraceRecord = {
  [K in keyof TraceRecord]: TraceRecord[K] extends bigint ? string
    : TraceRecord[K] extends Record<string, bigint | number | string> ? Record<string, number | string> : TraceRecord[K];
};

const json = (v: bigint | number | string): number | string => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

export function traceRecordToJson(record: TraceRecord): JsonTraceRecord {
  return {
    ...record,
    tsc: json(record.tsc) as string,
    rip: json(record.rip) as string,
    fields: Object.fromEntries(Object.entries(record.fields).map(([k, v]) => [k, json(v)])),
  };
}

/** The body of a `hypercall/trace` event: what the Trace panel reads. */
export interface TraceEventBody { record: JsonTraceRecord; line: string }

export function traceEvent(record: TraceRecord): Event {
  const body: TraceEventBody = { record: traceRecordToJson(record), line: record.text };
  return new Event(TRACE_EVENT, body);
}
