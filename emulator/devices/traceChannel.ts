// Port 0x510: the host's ftrace channel. An OUT of the host-physical address of a
// struct hc_trace_record (docs/platform.md "Trace channel") turns it into a TraceRecord,
// stamped with the TSC at the OUT, and appends it to the trace buffer.

import { join } from '../cpu/halves';
import type { CpuState } from '../cpu/state';
import type { PhysicalMemory } from '../memory/physical';
import { cString } from '../loader/elf';
import { FtraceLine, makeTraceRecord, type TraceFields } from '../trace/ftrace';
import type { TraceEventName } from '../trace/record';
import type { TraceBuffer } from '../trace/traceBuffer';
import { kvmExitReasonText } from '../trace/kvmExitReasons';
import type { PortDevice } from './portBus';
import { readTsc } from './tsc';

export const HC_TRACE_RECORD_SIZE = 80;
const EVENTS: Record<number, TraceEventName> = { 1: 'kvm_entry', 2: 'kvm_exit', 3: 'kvm_hypercall', 4: 'trace_printk' };
const MAX_STRING = 1024;

// The host's records are copied, as 32-bit words, into shared 64 KiB chunks: the trace keeps
// up to a million records (the ring, history), and one typed array or fields object each costs several
// times the record's 80 bytes. The fields are decoded from the copy each time they are read.
const WORDS = HC_TRACE_RECORD_SIZE / 4, CHUNK_RECORDS = 819;
let chunk = new Uint32Array(WORDS * CHUNK_RECORDS), used = 0;

/** A kvm_entry, kvm_exit or kvm_hypercall record, read from its copy of the host's struct. */
class ChannelRecord extends FtraceLine {
  constructor(seq: number, tsc: bigint, event: TraceEventName, private readonly words: Uint32Array, private readonly at: number) {
    super(seq, tsc, event);
  }
  private u64(word: number): bigint { return join(this.words[this.at + word], this.words[this.at + word + 1]); }
  /** args[i] of the struct (it starts at byte 32). */
  private arg(i: number): bigint { return this.u64(8 + 2 * i); }
  private low(i: number): number { return this.words[this.at + 8 + 2 * i]; }
  get side(): 'host' | 'guest' { return this.event === 'kvm_hypercall' ? 'host' : 'guest'; }
  get rip(): bigint { return this.event === 'kvm_entry' ? this.arg(0) : this.event === 'kvm_exit' ? this.arg(1) : this.u64(2); }
  /** Decoded from the record's words at each read (FtraceLine says why nothing derived is kept). */
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

export class TraceChannel implements PortDevice {
  /**
   * `symbolize` names a host address for trace_printk records that carry no __func__
   * pointer (the kernel prints the caller's symbol the same way).
   */
  constructor(
    private readonly state: CpuState,
    private readonly memory: PhysicalMemory,
    private readonly buffer: TraceBuffer,
    private readonly symbolize: (ip: bigint) => string | undefined = () => undefined,
  ) {}

  in(): number { return 0xffffffff; }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    const at = value >>> 0;
    if (!this.memory.contains(at, HC_TRACE_RECORD_SIZE)) return; // a record outside RAM is dropped, like a bus error
    const m = this.memory;
    const event = EVENTS[m.read32(at)];
    if (!event) return;
    const seq = this.buffer.written, tsc = readTsc(this.state);
    if (event === 'trace_printk') { // its strings are read from host memory now, while they hold them
      const ip = m.read64(at + 8), funcAddr = m.read64(at + 16);
      const func = funcAddr ? this.readString(funcAddr) : (this.symbolize(ip) ?? `0x${ip.toString(16)}`);
      this.buffer.push(makeTraceRecord(seq, tsc, event, { func, msg: this.readString(m.read64(at + 24)).replace(/\n$/, '') }, ip, 'host'));
      return;
    }
    if (used === CHUNK_RECORDS) { chunk = new Uint32Array(WORDS * CHUNK_RECORDS); used = 0; }
    const words = chunk, offset = used * WORDS;
    used++;
    for (let k = 0; k < WORDS; k++) words[offset + k] = m.read32(at + 4 * k);
    this.buffer.push(new ChannelRecord(seq, tsc, event, words, offset));
  }

  /** The host is identity-mapped, so its addresses are physical ones. */
  private readString(address: bigint): string {
    if (address >= BigInt(this.memory.size)) return '';
    const a = Number(address);
    return cString(this.memory.bytes.subarray(a, Math.min(a + MAX_STRING, this.memory.size)), 0);
  }
}
