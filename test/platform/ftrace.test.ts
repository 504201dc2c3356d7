// ftrace rendering against golden files: the line layout of /sys/kernel/tracing/trace on
// Linux 6.1 as captured in /work/shared/reference/real-kvm-6.1.md (with VMX reason names),
// and the hello-hypercall sequence in our own task/pid.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatContext, formatEvent, formatTimestamp, makeTraceRecord, renderTrace, type TraceFields } from '../../emulator/trace/ftrace';
import { kvmExitReasonText } from '../../emulator/trace/kvmExitReasons';
import type { TraceEventName, TraceRecord } from '../../emulator/trace/record';

const golden = (name: string) => readFileSync(join(__dirname, 'golden', name), 'utf8');

const exit = (reason: number, rip: bigint, info1 = 0n, info2 = 0n): TraceFields =>
  ({ vcpu: 0, exit_reason: reason, reason: kvmExitReasonText(reason), rip, info1, info2, intr_info: 0, error_code: 0 });

describe('ftrace rendering', () => {
  it('matches the real 6.1 layout line for line (task confvmm-89 as captured)', () => {
    const events: [bigint, TraceEventName, TraceFields][] = [
      [3_690_073_000n, 'kvm_entry', { vcpu: 0, rip: 0x1000n }],
      [3_692_386_000n, 'kvm_exit', exit(48, 0x1000n, 0x200000006n, 0x2000n)],
      [3_695_101_000n, 'kvm_entry', { vcpu: 0, rip: 0x1000n }],
      [3_696_668_000n, 'kvm_exit', exit(18, 0x1035n)],
      [3_696_767_000n, 'kvm_hypercall', { nr: 0n, a0: 0x11n, a1: 0x22n, a2: 0x33n, a3: 0x44n }],
      [3_698_692_000n, 'kvm_entry', { vcpu: 0, rip: 0x1038n }],
      [3_700_150_000n, 'kvm_exit', exit(30, 0x1050n, 0x5000010n, 0x1051n)],
    ];
    const records = events.map(([ns, event, fields], i) => {
      const r = makeTraceRecord(i, ns, event, fields, 0n, 'guest');
      // Same fields, the captured machine's task and pid.
      return { ...r, text: formatContext('confvmm', 89, 0, r.flags, ns) + formatEvent(event, fields) } as TraceRecord;
    });
    expect(renderTrace(records)).toBe(golden('kvm-6.1-layout.trace'));
  });

  it('renders the hello-hypercall sequence in our task and pid', () => {
    const records = [
      makeTraceRecord(0, 42_000n, 'kvm_entry', { vcpu: 0, rip: 0x100000n }, 0x100000n, 'guest'),
      makeTraceRecord(1, 1_234_567n, 'kvm_exit', exit(18, 0x100123n), 0x100123n, 'guest'),
      makeTraceRecord(2, 1_300_000n, 'kvm_hypercall', { nr: 100n, a0: 0n, a1: 0n, a2: 0n, a3: 0n }, 0x100500n, 'host'),
      makeTraceRecord(3, 1_400_000n, 'trace_printk', { func: 'kvm_emulate_hypercall', msg: 'Hello World' }, 0x100600n, 'host'),
      makeTraceRecord(4, 1_234_567_891_000n, 'kvm_entry', { vcpu: 0, rip: 0x100126n }, 0x100126n, 'guest'),
    ];
    expect(renderTrace(records)).toBe(golden('hello.trace'));
    expect(records[3].text).toMatch(/: kvm_emulate_hypercall: Hello World$/);
    expect(records[1].timestamp).toBeCloseTo(0.001235, 9);
  });

  it('rounds the timestamp to the nearest microsecond like ns2usecs', () => {
    expect(formatTimestamp(0n)).toBe('    0.000000');
    expect(formatTimestamp(499n)).toBe('    0.000000');
    expect(formatTimestamp(500n)).toBe('    0.000001');
    expect(formatTimestamp(999_999_500n)).toBe('    1.000000');
    expect(formatTimestamp(123_456_000_000_000n)).toBe('123456.000000');
  });

  it('prints entry-failure and unknown exit reasons as kvm_print_exit_reason does', () => {
    expect(kvmExitReasonText(33 | 0x80000000)).toBe('INVALID_STATE FAILED_VMENTRY');
    expect(kvmExitReasonText(1000)).toBe('0x3e8');
    expect(kvmExitReasonText(27)).toBe('VMON');
    expect(kvmExitReasonText(52)).toBe('PREEMPTION_TIMER');
  });

  it('pads long task names and pids per %16s-%-7d', () => {
    expect(formatContext('a-very-long-task-name', 1234567, 1, '.....', 0n)).toBe('a-very-long-task-name-1234567 [001] .....     0.000000: ');
  });
});
