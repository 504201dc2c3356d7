// Port 0x510: the host's ftrace channel. An OUT of the host-physical address of a
// struct hc_trace_record (docs/platform.md "Trace channel") turns it into a TraceRecord,
// stamped with the TSC at the OUT, and appends it to the trace buffer.

import type { CpuState } from '../cpu/state';
import type { PhysicalMemory } from '../memory/physical';
import { cString } from '../loader/elf';
import { makeTraceRecord, type TraceFields } from '../trace/ftrace';
import type { TraceEventName } from '../trace/record';
import type { TraceBuffer } from '../trace/traceBuffer';
import { kvmExitReasonText } from '../trace/kvmExitReasons';
import type { PortDevice } from './portBus';
import { readTsc } from './tsc';

export const HC_TRACE_RECORD_SIZE = 80;
const EVENTS: Record<number, TraceEventName> = { 1: 'kvm_entry', 2: 'kvm_exit', 3: 'kvm_hypercall', 4: 'trace_printk' };
const MAX_STRING = 1024;

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
    const vcpu = m.read32(at + 4);
    const ip = m.read64(at + 8);
    const arg = (i: number) => m.read64(at + 32 + i * 8);
    let fields: TraceFields;
    let rip = ip;
    let side: 'host' | 'guest' = 'host';
    switch (event) {
      case 'kvm_entry':
        fields = { vcpu, rip: arg(0) };
        rip = arg(0); side = 'guest';
        break;
      case 'kvm_exit': {
        const exitReason = Number(arg(0) & 0xffffffffn);
        fields = {
          vcpu, exit_reason: exitReason, reason: kvmExitReasonText(exitReason), rip: arg(1), info1: arg(2), info2: arg(3),
          intr_info: Number(arg(4) & 0xffffffffn), error_code: Number(arg(5) & 0xffffffffn),
        };
        rip = arg(1); side = 'guest';
        break;
      }
      case 'kvm_hypercall':
        fields = { nr: arg(0), a0: arg(1), a1: arg(2), a2: arg(3), a3: arg(4) };
        break;
      case 'trace_printk': {
        const funcAddr = m.read64(at + 16);
        const func = funcAddr ? this.readString(funcAddr) : (this.symbolize(ip) ?? `0x${ip.toString(16)}`);
        fields = { func, msg: this.readString(m.read64(at + 24)).replace(/\n$/, '') };
        break;
      }
    }
    this.buffer.push(makeTraceRecord(this.buffer.written, readTsc(this.state), event, fields, rip, side));
  }

  /** The host is identity-mapped, so its addresses are physical ones. */
  private readString(address: bigint): string {
    if (address >= BigInt(this.memory.size)) return '';
    const a = Number(address);
    return cString(this.memory.bytes.subarray(a, Math.min(a + MAX_STRING, this.memory.size)), 0);
  }
}
