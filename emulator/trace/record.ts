// One ftrace event as the emulator delivers it (see docs/platform.md, "Trace channel").

/** The events the host emits, in the order the Trace panel lists them. */
export const TRACE_EVENT_NAMES = ['kvm_exit', 'kvm_entry', 'kvm_hypercall', 'trace_printk'] as const;
export type TraceEventName = typeof TRACE_EVENT_NAMES[number];

export interface TraceRecord {
  /** 0-based position in the trace buffer. */
  readonly seq: number;
  /** TSC when the host emitted it, and the same as seconds (the TIMESTAMP column). */
  readonly tsc: bigint;
  readonly timestamp: number;
  readonly cpu: number;
  readonly task: string;
  readonly pid: number;
  /** The five ftrace flag characters, e.g. 'd..1.' or '.....'. */
  readonly flags: string;
  readonly event: TraceEventName;
  /** Event fields by their ftrace names (vcpu, reason, rip, info1, nr, a0, ... ; trace_printk: func, msg). */
  readonly fields: Record<string, bigint | number | string>;
  /** Where the event belongs: the guest RIP for kvm_entry/kvm_exit, the host caller for the others. */
  readonly rip: bigint;
  readonly side: 'host' | 'guest';
  /** The line exactly as /sys/kernel/tracing/trace would print it (no trailing newline). */
  readonly text: string;
}
