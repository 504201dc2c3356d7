// Where a trace line leads: the host records' `rip` (the ip the sample host's trace.c
// hands the trace channel) must resolve, through the adapter's DWARF reader, to the source
// line that emitted the event: the trace_kvm_hypercall(...) call, not the line after it
// (its return address), and the trace_printk(...) line.

import { readFileSync } from 'node:fs';
import { parseElf } from '../../emulator/loader/elf';
import type { TraceRecord } from '../../emulator/trace/record';
import { loadProgramSymbols } from '../../debug-adapter/dwarfProgram';
import { nodeFileAccess } from '../../debug-adapter/nodeFileAccess';
import type { ProgramSymbols } from '../../debug-adapter/programSymbols';
import { buildSample, guestElf, hostElf, root, runSample } from '../sample/sampleRun';

let host: ProgramSymbols;
let trace: readonly TraceRecord[];

beforeAll(async () => {
  buildSample();
  const bytes = new Uint8Array(readFileSync(hostElf));
  host = await loadProgramSymbols({ path: hostElf, bytes, elf: parseElf(bytes, hostElf) }, nodeFileAccess, root);
  trace = runSample(guestElf).trace;
});

function sourceLine(address: bigint): string {
  const at = host.addressToLine(address);
  if (!at) throw new Error(`no line for host address 0x${address.toString(16)}`);
  return readFileSync(at.path, 'utf8').split('\n')[at.line - 1];
}

describe('the source a host trace record names', () => {
  it('is the trace_kvm_hypercall call for kvm_hypercall', () => {
    const hypercalls = trace.filter((r) => r.event === 'kvm_hypercall');
    expect(hypercalls.length).toBeGreaterThan(0);
    for (const r of hypercalls) {
      expect(r.side).toBe('host');
      expect(sourceLine(r.rip)).toMatch(/\btrace_kvm_hypercall\(/);
    }
  });

  it('is the trace_printk line for trace_printk', () => {
    const hello = trace.find((r) => r.event === 'trace_printk' && r.fields.msg === 'Hello World');
    expect(hello && sourceLine(hello.rip)).toMatch(/\btrace_printk\("Hello World"\)/);
  });
});
