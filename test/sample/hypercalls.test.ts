// Every hypercall number against what real KVM 6.1 returns (/work/shared/reference/
// real-kvm-6.1.md), the string hypercall's error codes, 32-bit masking in compatibility mode
// and -KVM_EPERM at CPL 3, on the kvm-hypercalls test guest (samples/tests/kvm-hypercalls).

import { readFileSync } from 'node:fs';
import { parseElf } from '../../emulator/loader/elf';
import { buildSample, rax, resultLines, runSample, testGuest, type SampleRun } from './sampleRun';

const ENOSYS = rax(-1000), EOPNOTSUPP = rax(-95), EPERM = rax(-1), EFAULT = rax(-14), EINVAL = rax(-22);
let run: SampleRun;
let results: Map<string, bigint>;

beforeAll(() => {
  buildSample();
  run = runSample(testGuest('kvm-hypercalls'));
  results = resultLines(run.guestConsole);
});

describe('hypercalls of the sample host', () => {
  it('runs the whole test guest to a clean power-off', () => {
    expect(run.stop).toEqual({ kind: 'poweroff', status: 0 });
    expect(run.guestConsole).toMatch(/guest: user program exited with status 0, halting\n$/);
  });

  // real-kvm-6.1.md, "RAX after the hypercall (64-bit guest, CPL 0)", a0..a3 = 0x11..0x44.
  const realKvm: [number, bigint][] = [
    [0, ENOSYS], [1, 0n], [2, ENOSYS], [3, ENOSYS], [4, ENOSYS], [5, 0n], [6, ENOSYS], [7, ENOSYS],
    [8, ENOSYS], [9, EOPNOTSUPP], [10, EOPNOTSUPP], [11, 0n], [12, ENOSYS], [13, ENOSYS],
    [100, ENOSYS], [0x4b480001, ENOSYS],
  ];
  it.each(realKvm)('nr %i returns what real KVM returns', (nr, expected) => {
    expect(results.get(`hc 0x${nr.toString(16)}`)).toBe(expected);
  });

  it('traces every number with its arguments before handling it', () => {
    const traced = run.trace.filter((r) => r.event === 'kvm_hypercall' && r.fields.a0 === 0x11n);
    expect(traced.map((r) => Number(r.fields.nr)).slice(0, realKvm.length)).toEqual(realKvm.map(([nr]) => nr));
    expect(traced[0].text).toMatch(/: kvm_hypercall: nr 0x0 a0 0x11 a1 0x22 a2 0x33 a3 0x44$/);
  });

  it('answers KVM_HC_HELLO_HYPERCALL with 0 and a trace_printk from its handler, kvm_pv_hello_hypercall', () => {
    expect(results.get('hc 0x100')).toBe(0n);
    const printks = run.trace.filter((r) => r.event === 'trace_printk');
    expect(printks.map((r) => `${r.fields.func}: ${r.fields.msg}`)).toEqual(['kvm_pv_hello_hypercall: Hello World']);
  });

  it('writes "Hello World" for KVM_HC_HELLO_STRING and returns its length', () => {
    expect(run.guestConsole).toContain('string ok: 0x000000000000000b "Hello World"\n');
    expect(run.guestConsole).toContain('string exact: 0x000000000000000b "Hello World"\n');
  });

  it.each([
    ['short', EINVAL], ['beyond-ram', EFAULT], ['straddles-end', EFAULT], ['far', EFAULT], ['wraps', EFAULT],
  ] as [string, bigint][])('returns an error code for a %s buffer and writes nothing', (what, expected) => {
    const line = run.guestConsole.match(new RegExp(`^string ${what}: 0x([0-9a-f]{16}) "(.*)"$`, 'm'));
    expect(line).not.toBeNull();
    expect(BigInt(`0x${line![1]}`)).toBe(expected);
    expect(line![2]).toBe('');
  });

  it('masks number and arguments to 32 bits in compatibility mode, and the result too', () => {
    // Same registers: 64-bit mode sees an unknown number, compatibility mode sees SCHED_YIELD.
    expect(results.get('long 0xabcd12340000000b')).toBe(ENOSYS);
    expect(results.get('compat 0xabcd12340000000b')).toBe(0n);
    // -KVM_ENOSYS comes back zero-extended from 32 bits.
    expect(results.get('compat 0xabcd123400000000')).toBe(0xfffffc18n);
    // The masked buffer address and length are the real ones.
    expect(results.get('compat 0xabcd123400000101')).toBe(11n);
    expect(run.guestConsole).toContain('compat buffer: "Hello World"\n');
  });

  it('traces compatibility-mode hypercalls as the registers hold them, exiting inside compat_hypercall', () => {
    const calls = run.trace.filter((r) => r.event === 'kvm_hypercall' && (r.fields.nr as bigint) >> 32n === 0xabcd1234n);
    // The first is the 64-bit one; then the three from compatibility mode, traced unmasked like KVM 6.1 does.
    expect(calls.map((r) => r.fields.nr)).toEqual([0xabcd12340000000bn, 0xabcd12340000000bn, 0xabcd123400000000n, 0xabcd123400000101n]);
    expect(calls[1].fields.a0).toBe(0xabcd123400000001n);
    const compat = parseElf(new Uint8Array(readFileSync(testGuest('kvm-hypercalls'))), 'kvm-hypercalls.elf').symbol('compat_hypercall')!;
    for (const call of calls.slice(1)) {
      const exit = run.trace[call.seq - 1], entry = run.trace[call.seq + 1];
      expect(exit.fields.reason).toBe('VMCALL');
      const rip = exit.fields.rip as bigint;
      expect(rip > compat.value && rip < compat.value + BigInt(compat.size)).toBe(true);
      expect(entry.fields.rip).toBe(rip + 3n);
    }
  });

  it('refuses every hypercall from CPL 3 with -KVM_EPERM', () => {
    expect(results.get('cpl3 0xb')).toBe(EPERM);
    expect(results.get('cpl3 0x101')).toBe(EPERM);
  });

  it('shows the guest an always-ready COM1, all-ones for unclaimed ports, and CR4 without VMXE', () => {
    expect(run.guestConsole).toContain('io: lsr 0x60, unclaimed port 0xff\n');
    expect(run.guestConsole).toContain('cr4: 0x20\n'); // PAE only: VMXE is host-owned and shadowed
  });

  it('emulates REP OUTSB in one exit: the bytes, RSI advanced, RCX consumed', () => {
    expect(run.guestConsole).toContain('outs\nrep outsb: rsi +5, rcx 0\n');
    const outs = run.exits.filter((e) => e.reasonName === 'IO_INSTRUCTION' && (e.qualification & 0x30n) === 0x30n);
    expect(outs.length).toBeGreaterThan(0);
    expect(outs.every((e) => e.qualification >> 16n === 0x3f8n)).toBe(true);
  });

  it('answers the KVM CPUID leaves and hides VMX', () => {
    expect(run.guestConsole).toContain('cpuid 0x40000000: eax 0x40000001 signature "KVMKVMKVM" edx 0x4d\n');
    expect(run.guestConsole).toContain('cpuid 0x40000001: eax 0x0\n');
    expect(run.guestConsole).toContain('cpuid 1: vmx 0 hypervisor 1\n');
  });
});
