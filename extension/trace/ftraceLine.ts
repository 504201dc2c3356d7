// Reads one line of /sys/kernel/tracing/trace text (nop tracer, irq-info on: docs/trace.md)
// back into its columns. The Trace panel keeps only the text and re-derives what it filters
// and counts by, so a file exported from a real kernel reads the same way.

import { TRACE_EVENT_NAMES, type TraceEventName } from '../../emulator/trace/record';

export type { TraceEventName };

export interface FtraceLine {
  task: string;
  pid: number;
  cpu: number;
  flags: string;
  /** The TIMESTAMP column in whole microseconds (it is printed as seconds with six decimals). */
  timestampUs: number;
  event: TraceEventName;
  /** trace_printk: the calling function the line names; otherwise the tracepoint name. */
  func: string;
  /** Everything after "<event>: ". */
  body: string;
  /** kvm_exit: the reason column, e.g. "VMCALL" or "VMCALL FAILED_VMENTRY". */
  exitReason?: string;
  /** kvm_exit / kvm_entry: the guest RIP the line prints. */
  rip?: bigint;
}

// "%16s-%-7d [%03d] <flags> %5lu.%06lu: <event>: <rest>"; the task name may itself hold '-'.
const LINE = /^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d{6}):\s(\S+?):\s?(.*)$/;
const EXIT_REASON = /^vcpu \d+ reason (.+?) rip 0x([0-9a-f]+)\b/;
const ENTRY_RIP = /^vcpu \d+, rip 0x([0-9a-f]+)\b/;

const TRACEPOINTS = new Set<string>(TRACE_EVENT_NAMES.filter((name) => name !== 'trace_printk'));

const FIELD = /(\w+),? (0x[0-9a-f]+|\d+)\b/g;

/**
 * The fields a line prints, by their ftrace names (docs/trace.md): decimal numbers as
 * numbers, hex ones as "0x..." text without leading zeros (what the Chrome trace writes;
 * a bigint per field would cost an export of a million lines more in garbage collection
 * than in everything else), kvm_exit's reason as text, trace_printk's func and msg.
 */
export function lineFields(line: FtraceLine): Record<string, number | string> {
  if (line.event === 'trace_printk') return { func: line.func, msg: line.body };
  const fields: Record<string, number | string> = {};
  for (const [, name, value] of line.body.matchAll(FIELD)) fields[name] = value.startsWith('0x') ? value.replace(/^0x0*(?=.)/, '0x') : Number(value);
  if (line.exitReason !== undefined) fields.reason = line.exitReason;
  return fields;
}

/** The header lines start with '#'. */
export function isHeaderLine(line: string): boolean {
  return line.startsWith('#');
}

/** The columns of an event line, or undefined for a header, blank or foreign line. */
export function parseFtraceLine(line: string): FtraceLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [, task, pid, cpu, flags, secs, micros, name, body] = m;
  const event = (TRACEPOINTS.has(name) ? name : 'trace_printk') as TraceEventName;
  const parsed: FtraceLine = {
    task, pid: Number(pid), cpu: Number(cpu), flags,
    timestampUs: Number(secs) * 1_000_000 + Number(micros),
    event, func: name, body,
  };
  if (event === 'kvm_exit') {
    const exit = EXIT_REASON.exec(body);
    if (exit) {
      parsed.exitReason = exit[1];
      parsed.rip = BigInt('0x' + exit[2]);
    }
  } else if (event === 'kvm_entry') {
    const entry = ENTRY_RIP.exec(body);
    if (entry) parsed.rip = BigInt('0x' + entry[1]);
  }
  return parsed;
}
