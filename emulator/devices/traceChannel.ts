// Port 0x510: the host's ftrace channel. An OUT of the host-physical address of a
// struct hc_trace_record (docs/platform.md "Trace channel") turns it into a TraceRecord,
// stamped with the TSC at the OUT, and appends it to the trace buffer.

import type { CpuState } from '../cpu/state';
import type { PhysicalMemory } from '../memory/physical';
import { cString } from '../loader/elf';
import { makeTraceRecord } from '../trace/ftrace';
import { HC_TRACE_RECORD_SIZE, HC_TRACE_RECORD_WORDS, hostTraceEvent } from '../trace/hostTraceRecord';
import type { TraceBuffer } from '../trace/traceBuffer';
import type { PortDevice } from './portBus';
import { readTsc } from './tsc';

const MAX_STRING = 1024;

export class TraceChannel implements PortDevice {
  /** RAM as 32-bit words (little-endian, as the CPU's register halves are): an aligned record is handed to the buffer from there. */
  private readonly ram32: Uint32Array;
  /** An unaligned record's words, read as the host wrote them. */
  private readonly unaligned = new Uint32Array(HC_TRACE_RECORD_WORDS);

  /**
   * `symbolize` names a host address for trace_printk records that carry no __func__
   * pointer (the kernel prints the caller's symbol the same way).
   */
  constructor(
    private readonly state: CpuState,
    private readonly memory: PhysicalMemory,
    private readonly buffer: TraceBuffer,
    private readonly symbolize: (ip: bigint) => string | undefined = () => undefined,
  ) {
    this.ram32 = new Uint32Array(memory.bytes.buffer, memory.bytes.byteOffset, memory.size >>> 2);
  }

  in(): number { return 0xffffffff; }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    const at = value >>> 0;
    if (!this.memory.contains(at, HC_TRACE_RECORD_SIZE)) return; // a record outside RAM is dropped, like a bus error
    const m = this.memory;
    const code = m.read32(at), event = hostTraceEvent(code);
    if (!event) return;
    const seq = this.buffer.written, tsc = readTsc(this.state);
    if (event === 'trace_printk') { // its strings are read from host memory now, while they hold them
      const ip = m.read64(at + 8), funcAddr = m.read64(at + 16);
      const func = funcAddr ? this.readString(funcAddr) : (this.symbolize(ip) ?? `0x${ip.toString(16)}`);
      this.buffer.push(makeTraceRecord(seq, tsc, event, { func, msg: this.readString(m.read64(at + 24)).replace(/\n$/, '') }, ip, 'host'));
      return;
    }
    if ((at & 3) === 0) { this.buffer.pushHost(this.ram32, at >>> 2, tsc); return; }
    const words = this.unaligned;
    for (let k = 0; k < HC_TRACE_RECORD_WORDS; k++) words[k] = m.read32(at + 4 * k);
    this.buffer.pushHost(words, 0, tsc);
  }

  /** The host is identity-mapped, so its addresses are physical ones. */
  private readString(address: bigint): string {
    if (address >= BigInt(this.memory.size)) return '';
    const a = Number(address);
    return cString(this.memory.bytes.subarray(a, Math.min(a + MAX_STRING, this.memory.size)), 0);
  }
}
