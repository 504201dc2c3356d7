// Renders trace records in the layout of /sys/kernel/tracing/trace on Linux 6.1 with the nop
// tracer and irq-info on (docs/trace.md): print_trace_header()/print_func_help_header_irq()
// of kernel/trace/trace.c for the header, trace_print_context() of kernel/trace/trace_output.c
// for each line's prefix, and the TP_printk formats of arch/x86/kvm/trace.h for the events.

import type { TraceEventName, TraceRecord } from './record';
import { kvmExitReasonText } from './kvmExitReasons';

/** What every record carries in the TASK-PID / CPU# columns (docs/platform.md). */
export const TRACE_TASK = 'hc-host';
export const TRACE_PID = 1;
export const TRACE_CPU = 0;

const hex = (v: bigint | number) => v.toString(16);
const hex0 = (v: bigint | number, width: number) => v.toString(16).padStart(width, '0');

/** The TIMESTAMP column: ns rounded to µs (ns2usecs), printed " %5lu.%06lu". */
export function formatTimestamp(ns: bigint): string {
  const us = (ns + 500n) / 1000n;
  return `${(us / 1_000_000n).toString().padStart(5)}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
}

/** Seconds as a number, after the same rounding as the printed column. */
export function timestampSeconds(ns: bigint): number {
  return Number((ns + 500n) / 1000n) / 1e6;
}

/** "%16s-%-7d [%03d] <flags> %5lu.%06lu: " */
export function formatContext(task: string, pid: number, cpu: number, flags: string, ns: bigint): string {
  return `${task.padStart(16)}-${String(pid).padEnd(7)} [${String(cpu).padStart(3, '0')}] ${flags} ${formatTimestamp(ns)}: `;
}

export type TraceFields = Record<string, bigint | number | string>;

/** The event part of a line: "<event>: <TP_printk output>", or "<func>: <msg>" for trace_printk. */
export function formatEvent(event: TraceEventName, f: TraceFields): string {
  switch (event) {
    case 'kvm_entry':
      return `kvm_entry: vcpu ${f.vcpu}, rip 0x${hex(f.rip as bigint)}`;
    case 'kvm_exit':
      return `kvm_exit: vcpu ${f.vcpu} reason ${kvmExitReasonText(Number(f.exit_reason))} rip 0x${hex(f.rip as bigint)}`
        + ` info1 0x${hex0(f.info1 as bigint, 16)} info2 0x${hex0(f.info2 as bigint, 16)}`
        + ` intr_info 0x${hex0(f.intr_info as number, 8)} error_code 0x${hex0(f.error_code as number, 8)}`;
    case 'kvm_hypercall':
      return `kvm_hypercall: nr 0x${hex(f.nr as bigint)} a0 0x${hex(f.a0 as bigint)} a1 0x${hex(f.a1 as bigint)}`
        + ` a2 0x${hex(f.a2 as bigint)} a3 0x${hex(f.a3 as bigint)}`;
    case 'trace_printk':
      return `${f.func}: ${f.msg}`;
  }
}

/** kvm_entry is emitted with interrupts off in the vcpu run loop, the others from the exit handlers. */
export function eventFlags(event: TraceEventName): string {
  return event === 'kvm_entry' ? 'd..1.' : '.....';
}

/**
 * One event's record. Its line (`text`) and `timestamp` are made when read, not when the host
 * emits the event, and not kept: a loop of hypercalls emits three records per round trip, the
 * trace buffer keeps up to a million of them for history, and a line kept with each (and its
 * decoded fields) made a debug session hold ~3 KB per round trip instead of ~0.3. Each reader
 * reads it once.
 * Subclasses say where the fields come from.
 */
export abstract class FtraceLine implements TraceRecord {
  constructor(readonly seq: number, readonly event: TraceEventName) {}
  abstract readonly tsc: bigint;
  abstract readonly fields: TraceFields;
  abstract readonly rip: bigint;
  abstract readonly side: 'host' | 'guest';
  get cpu(): number { return TRACE_CPU; }
  get task(): string { return TRACE_TASK; }
  get pid(): number { return TRACE_PID; }
  get flags(): string { return eventFlags(this.event); }
  get timestamp(): number { return timestampSeconds(this.tsc); }
  get text(): string {
    return formatContext(TRACE_TASK, TRACE_PID, TRACE_CPU, this.flags, this.tsc) + formatEvent(this.event, this.fields);
  }
}

class FtraceRecord extends FtraceLine {
  constructor(seq: number, readonly tsc: bigint, event: TraceEventName, readonly fields: TraceFields, readonly rip: bigint, readonly side: 'host' | 'guest') {
    super(seq, event);
  }
}

/** Build a TraceRecord for one event from its fields. */
export function makeTraceRecord(seq: number, tsc: bigint, event: TraceEventName, fields: TraceFields, rip: bigint, side: 'host' | 'guest'): TraceRecord {
  return new FtraceRecord(seq, tsc, event, fields, rip, side);
}

/**
 * The header block /sys/kernel/tracing/trace starts with (nop tracer), one string per line.
 * "entries-in-buffer" is what the ring still holds, "entries-written" all that was ever
 * written: they differ once the ring has overwritten its oldest lines, as in the kernel.
 */
export function ftraceHeaderLines(entries: number, written = entries, cpus = 1): string[] {
  return [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${cpus}`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
  ];
}

/** The header block as text, each line ending in a newline. */
export function ftraceHeader(entries: number, written = entries, cpus = 1): string {
  return ftraceHeaderLines(entries, written, cpus).join('\n') + '\n';
}

/** The whole file: header, then one line per record, each ending in a newline. `written` counts dropped records too. */
export function renderTrace(records: readonly TraceRecord[], written = records.length): string {
  return ftraceHeader(records.length, written) + records.map((r) => r.text + '\n').join('');
}
