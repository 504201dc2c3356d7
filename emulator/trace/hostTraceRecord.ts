// A kvm_entry, kvm_exit or kvm_hypercall record as the host wrote it: the 32-bit words of its
// struct hc_trace_record (docs/platform.md "Trace channel") followed by the TSC at the OUT.
// Those words are the whole record: the fields, RIP and line are decoded from them at each
// read (FtraceLine says why nothing derived is kept), and record logs (recordLog.ts) keep the
// words alone, not this object.

import { join } from '../cpu/halves';
import { FtraceLine, type TraceFields } from './ftrace';
import { kvmExitReasonText } from './kvmExitReasons';
import type { TraceEventName } from './record';

/** Size of struct hc_trace_record in the host's memory, and in 32-bit words. */
export const HC_TRACE_RECORD_SIZE = 80;
export const HC_TRACE_RECORD_WORDS = HC_TRACE_RECORD_SIZE / 4;
/** Words a packed record takes: the struct, then the TSC's low and high halves. */
export const HOST_RECORD_WORDS = HC_TRACE_RECORD_WORDS + 2;

/** Write a packed record at `to[at]`: the struct at `words[from]`, then the TSC's halves. */
export function packHostRecord(to: Uint32Array, at: number, words: Uint32Array, from: number, tscLo: number, tscHi: number): void {
  for (let k = 0; k < HC_TRACE_RECORD_WORDS; k++) to[at + k] = words[from + k];
  to[at + HC_TRACE_RECORD_WORDS] = tscLo;
  to[at + HC_TRACE_RECORD_WORDS + 1] = tscHi;
}

/** The struct's `event` values (its first word) and their events. */
const EVENTS: Record<number, TraceEventName> = { 1: 'kvm_entry', 2: 'kvm_exit', 3: 'kvm_hypercall', 4: 'trace_printk' };
export function hostTraceEvent(code: number): TraceEventName | undefined { return EVENTS[code]; }

export class HostTraceRecord extends FtraceLine {
  /** The record `seq` packed at `words[at]` (HOST_RECORD_WORDS of them), which nobody writes again. */
  constructor(seq: number, readonly words: Uint32Array, readonly at: number) {
    super(seq, EVENTS[words[at]]);
  }
  get tsc(): bigint { return this.u64(HC_TRACE_RECORD_WORDS); }
  private u64(word: number): bigint { return join(this.words[this.at + word], this.words[this.at + word + 1]); }
  /** args[i] of the struct (it starts at byte 32). */
  private arg(i: number): bigint { return this.u64(8 + 2 * i); }
  private low(i: number): number { return this.words[this.at + 8 + 2 * i]; }
  get side(): 'host' | 'guest' { return this.event === 'kvm_hypercall' ? 'host' : 'guest'; }
  get rip(): bigint { return this.event === 'kvm_entry' ? this.arg(0) : this.event === 'kvm_exit' ? this.arg(1) : this.u64(2); }
  get fields(): TraceFields {
    const vcpu = this.words[this.at + 1];
    switch (this.event) {
      case 'kvm_entry': return { vcpu, rip: this.arg(0) };
      case 'kvm_exit': {
        const exitReason = this.low(0);
        return {
          vcpu, exit_reason: exitReason, reason: kvmExitReasonText(exitReason), rip: this.arg(1), info1: this.arg(2), info2: this.arg(3),
          intr_info: this.low(4), error_code: this.low(5),
        };
      }
      default: return { nr: this.arg(0), a0: this.arg(1), a1: this.arg(2), a2: this.arg(3), a3: this.arg(4) };
    }
  }
}
