// The user's story on the emulator API: the sample guest's user program makes system call
// 332, the guest kernel issues KVM_HC_HELLO_HYPERCALL, the host's kvm_emulate_hypercall
// traces "Hello World", the string comes back through KVM_HC_HELLO_STRING, and a VMCALL at
// CPL 3 gets -KVM_EPERM. Checks the trace against the order real KVM emits it in.

import { Reg } from '../../emulator/cpu/state';
import { parseElf } from '../../emulator/loader/elf';
import type { TraceRecord } from '../../emulator/trace/record';
import { readFileSync } from 'node:fs';
import { buildSample, guestElf, runSample, type SampleRun } from './sampleRun';

const KVM_HC_HELLO_HYPERCALL = 0x100n, KVM_HC_HELLO_STRING = 0x101n;
const EXIT_REASON_VMCALL = 18;
let run: SampleRun;

beforeAll(() => {
  buildSample();
  run = runSample(guestElf);
});

/** The index of the kvm_hypercall record for `nr` issued at CPL 0 (the one that has a kvm_entry after it). */
function hypercallAt(trace: readonly TraceRecord[], nr: bigint, nth = 0): number {
  const hits = trace.flatMap((r, i) => (r.event === 'kvm_hypercall' && r.fields.nr === nr ? [i] : []));
  return hits[nth];
}

describe('hello-hypercall sample', () => {
  it('runs to a clean power-off and prints the story on the guest console', () => {
    expect(run.stop).toEqual({ kind: 'poweroff', status: 0 });
    expect(run.guestConsole).toBe([
      'guest: kernel up, entering the user program at CPL 3',
      'user: hello_hypercall() returned 0',
      'Hello World',
      'user: vmcall at CPL 3 returned -1 (-KVM_EPERM)',
      'guest: user program exited with status 0, halting',
      '',
    ].join('\n'));
    expect(run.hostConsole).toMatch(/^hc-host: hello-hypercall host, a KVM-style VMX hypervisor\n/);
    expect(run.hostConsole).toMatch(/\nhc-host: guest halted\nhc-host: \d+ VM exits, 3 hypercalls, \d+ I\/O exits, 1 CPUID exits; exit status 0\n$/);
  });

  it('traces kvm_exit(VMCALL) -> kvm_hypercall -> trace_printk Hello World -> kvm_entry for system call 332', () => {
    const i = hypercallAt(run.trace, KVM_HC_HELLO_HYPERCALL);
    const [exit, hypercall, printk, entry] = run.trace.slice(i - 1, i + 3);
    const vmcall = run.exits.find((e) => e.reason === EXIT_REASON_VMCALL && e.guestGprs[Reg.RAX] === KVM_HC_HELLO_HYPERCALL)!;

    expect(exit.event).toBe('kvm_exit');
    expect(exit.fields.reason).toBe('VMCALL');
    expect(exit.fields.rip).toBe(vmcall.guestRip);
    expect(exit.text).toMatch(/^ +hc-host-1 +\[000\] \.{5} +\d+\.\d{6}: kvm_exit: vcpu 0 reason VMCALL rip 0x[0-9a-f]+ info1 0x0{16} info2 0x0{16} intr_info 0x0{8} error_code 0x0{8}$/);

    // a0..a3 are whatever RBX, RCX, RDX, RSI held: kvm_hypercall0 sets none of them.
    expect(hypercall.fields).toEqual({
      nr: KVM_HC_HELLO_HYPERCALL, a0: vmcall.guestGprs[Reg.RBX], a1: vmcall.guestGprs[Reg.RCX],
      a2: vmcall.guestGprs[Reg.RDX], a3: vmcall.guestGprs[Reg.RSI],
    });
    expect(printk.event).toBe('trace_printk');
    expect(printk.text).toMatch(/: kvm_pv_hello_hypercall: Hello World$/);
    expect(entry.event).toBe('kvm_entry');
    expect(entry.fields.rip).toBe(vmcall.guestRip + 3n);
    expect(entry.flags).toBe('d..1.');
  });

  it('exits on the VMCALL inside kvm_hypercall0 of the guest kernel, at CPL 0', () => {
    const vmcall = run.exits.find((e) => e.reason === EXIT_REASON_VMCALL && e.guestGprs[Reg.RAX] === KVM_HC_HELLO_HYPERCALL)!;
    const guest = parseElf(new Uint8Array(readFileSync(guestElf)), 'guest.elf');
    expect(guest.symbolAt(vmcall.guestRip)?.name).toBe('kvm_hypercall0');
    expect([...run.machine.readMemory(vmcall.guestRip, 3, 'guest-linear') ?? []]).toEqual([0x0f, 0x01, 0xc1]);
    expect(vmcall.instructionLength).toBe(3);
  });

  it('asks the CPU vendor once, first thing, and keeps VMCALL on this Intel CPU (guest/alternative.c)', () => {
    const EXIT_REASON_CPUID = 10;
    expect(run.exits[0].reason).toBe(EXIT_REASON_CPUID);
    expect(run.exits[0].guestGprs[Reg.RAX]).toBe(0n);
    expect(run.exits.filter((e) => e.reason === EXIT_REASON_CPUID)).toHaveLength(1);
  });

  it('returns the string through guest memory with KVM_HC_HELLO_STRING', () => {
    const i = hypercallAt(run.trace, KVM_HC_HELLO_STRING);
    const hypercall = run.trace[i];
    expect(hypercall.fields.a1).toBe(64n); // sizeof(kbuf) in sys_hello_string
    const buffer = run.machine.readMemory(hypercall.fields.a0 as bigint, 12, 'guest-physical')!;
    expect(new TextDecoder().decode(buffer.subarray(0, 11))).toBe('Hello World');
    expect(buffer[11]).toBe(0); // no NUL written: the rest of the static buffer stays zero
  });

  it('refuses the VMCALL from CPL 3 with -KVM_EPERM, still tracing it', () => {
    const i = hypercallAt(run.trace, KVM_HC_HELLO_HYPERCALL, 1);
    expect(i).toBeGreaterThan(0);
    expect(run.trace[i + 1].event).toBe('kvm_entry'); // no trace_printk: the call never reached the switch
    const vmcalls = run.exits.flatMap((e, n) => (e.reason === EXIT_REASON_VMCALL ? [n] : []));
    expect(vmcalls.map((n) => run.exitCpl[n])).toEqual([0, 0, 3]);
    expect(run.exits[vmcalls[2]].guestGprs[Reg.RAX]).toBe(KVM_HC_HELLO_HYPERCALL);
  });

  it('ends with the HLT exit and no further entry', () => {
    const last = run.trace[run.trace.length - 1];
    expect(last.event).toBe('kvm_exit');
    expect(last.fields.reason).toBe('HLT');
  });
});
