// Machine: run to power-off, consoles, stops (budget, halt, triple fault, failed VM entry,
// non-zero exit), breakpoints, watchpoints, trace through the channel, translation, and
// snapshot/restore determinism, on small gcc-built host programs.

import { Machine } from '../../emulator/machine';
import type { StopReason } from '../../emulator/api';
import { compileElf, readBytes, tempDir } from './fixtures/compile';
import * as P from './fixtures/programs';

const dir = tempDir();
const guestPath = compileElf(dir, 'idle-guest.elf', P.GUEST_IDLE);
const built = new Map<string, string>();
function machineFor(name: string, source: string): Machine {
  if (!built.has(name)) built.set(name, compileElf(dir, `${name}.elf`, source));
  const hostPath = built.get(name)!;
  return Machine.boot({ hostElf: readBytes(hostPath), guestElf: readBytes(guestPath), hostPath, guestPath });
}

/** Run until something other than the budget stops it (bounded). */
function runToStop(m: Machine, slice = 1_000_000, max = 50_000_000): StopReason {
  let stop: StopReason = { kind: 'budget' };
  for (let n = 0; n < max && stop.kind === 'budget'; n += slice) stop = m.run(slice);
  return stop;
}

describe('Machine', () => {
  it('refuses a RAM size that is not a whole number of MiB', () => {
    const hostPath = compileElf(dir, 'halt-ram.elf', P.HOST_HALT);
    expect(() => Machine.boot({ hostElf: readBytes(hostPath), guestElf: readBytes(guestPath), memorySize: 48 * 1024 * 1024 + 100 }))
      .toThrow('The RAM size must be a whole number of MiB, not 50331748 bytes.');
    const m = Machine.boot({ hostElf: readBytes(hostPath), guestElf: readBytes(guestPath), memorySize: 48 * 1024 * 1024 });
    expect(m.bootInfo.memSize).toBe(48n * 1024n * 1024n);
  });

  it('runs a host to power-off with both consoles', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    const out: string[] = [];
    m.onConsole((o) => out.push(`${o.port}:${o.text}`));
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
    expect(out).toEqual(['host:host up\n', 'guest:guest says hi\n']);
    expect(m.exitStatus).toBe(0);
    expect(m.inGuest).toBe(false);
    // A powered-off machine stays off.
    expect(m.run(10)).toEqual({ kind: 'poweroff', status: 0 });
  });

  it('is deterministic: same inputs, same instruction count', () => {
    const a = machineFor('compute', P.HOST_COMPUTE); runToStop(a);
    const b = machineFor('compute', P.HOST_COMPUTE); runToStop(b);
    expect(a.cpu.icount).toBeGreaterThan(10_000);
    expect(b.cpu.icount).toBe(a.cpu.icount);
  });

  it('stops on an exhausted budget after exactly that many instructions', () => {
    const m = machineFor('spin', P.HOST_SPIN);
    expect(m.run(12_345)).toEqual({ kind: 'budget' });
    expect(m.cpu.icount).toBe(12_345);
    expect(m.step()).toEqual({ kind: 'step' });
    expect(m.cpu.icount).toBe(12_346);
  });

  it('reports a non-zero platform exit status', () => {
    expect(runToStop(machineFor('exit3', P.HOST_EXIT_3))).toEqual({ kind: 'poweroff', status: 3 });
  });

  it('stops when HLT has nothing to wake it', () => {
    const m = machineFor('halt', P.HOST_HALT);
    expect(runToStop(m)).toEqual({ kind: 'halted' });
    expect(m.run(100)).toEqual({ kind: 'halted' });
  });

  it('names the fault and RIP of a triple fault', () => {
    const m = machineFor('triple', P.HOST_TRIPLE);
    const stop = runToStop(m);
    expect(stop.kind).toBe('shutdown');
    const rip = m.host.symbol('_start')!.value;
    // #UD (6) at _start with no usable IDT escalates to #GP (13): the fault, not a sentence; front ends phrase it.
    expect(stop).toMatchObject({ kind: 'shutdown', fault: { vector: 13, firstVector: 6 } });
    expect((stop as { fault: { rip: bigint } }).fault.rip).toBe(m.cpu.rip);
    expect(m.cpu.rip).toBeGreaterThanOrEqual(rip);
  });

  it('stops with the SDM error number when VMLAUNCH fails', () => {
    const m = machineFor('badlaunch', P.HOST_BAD_VMLAUNCH);
    const stop = runToStop(m);
    // VM-instruction error 7, VM entry with invalid control field(s) (SDM 31.4); the check names a field.
    expect(stop).toMatchObject({ kind: 'vmentry-failure', failure: { instructionError: 7, sdm: '27.2.1' } });
    const failure = (stop as { failure: { check: string; exitReason?: number } }).failure;
    expect(failure.check).not.toMatch(/^VM entry with invalid control/);
    expect(failure.check.length).toBeGreaterThan(10);
    expect(failure.exitReason).toBeUndefined();
  });

  it('reports an entry-failure exit by its basic exit reason', () => {
    const m = machineFor('spin', P.HOST_SPIN);
    // What Vmx reports when VM entry fails after loading guest state (SDM 27.8): reason 33 with bit 31.
    for (const l of m.vmx.entryFailureListeners) l(0x80000021, 'guest CR0.PG is set without CR0.PE.');
    const stop = m.step();
    expect(stop).toEqual({ kind: 'vmentry-failure', failure: { exitReason: 33, check: 'guest CR0.PG is set without CR0.PE', sdm: '27.3.1', guestRip: 0n } });
  });

  it('stops before a breakpointed instruction and continues past it', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    const work = m.host.symbol('work')!.value;
    m.addBreakpoint(work, 'linear');
    expect(runToStop(m)).toEqual({ kind: 'breakpoint', address: work, space: 'linear' });
    expect(m.cpu.rip).toBe(work);
    const first = m.cpu.icount;
    expect(runToStop(m)).toEqual({ kind: 'breakpoint', address: work, space: 'linear' });
    expect(m.cpu.icount).toBeGreaterThan(first);
    // step() executes the breakpointed instruction itself.
    expect(m.step()).toEqual({ kind: 'step' });
    expect(m.cpu.rip).not.toBe(work);
    m.removeBreakpoint(work, 'linear');
    m.addBreakpoint(work, 'physical'); // identity-mapped host: same address
    expect(runToStop(m)).toEqual({ kind: 'breakpoint', address: work, space: 'physical' });
    m.removeBreakpoint(work, 'physical');
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
  });

  it('stops after an instruction that writes a watched variable', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    const counter = m.host.symbol('counter')!.value;
    m.addWatchpoint(counter, 8, 'write', 'linear');
    const stop = runToStop(m);
    expect(stop).toEqual({ kind: 'watchpoint', address: counter, access: 'write', space: 'linear' });
    expect(m.readMemory(counter, 8, 'host-linear')![0]).toBe(1);
    m.removeWatchpoint(counter, 8, 'linear');
    m.addWatchpoint(counter, 8, 'read', 'physical');
    expect(runToStop(m)).toMatchObject({ kind: 'watchpoint', access: 'read', space: 'physical' });
    m.removeWatchpoint(counter, 8, 'physical');
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
  });

  it('executes code the debugger patched into memory, not a stale decoding', () => {
    const m = machineFor('spin', P.HOST_SPIN);
    const start = m.host.symbol('_start')!.value;
    expect(m.run(100)).toEqual({ kind: 'budget' });
    expect(m.cpu.rip).toBe(start); // spinning on "jmp ."
    // mov edx, 0x501; mov eax, 5; out dx, eax
    expect(m.writeMemory(start, new Uint8Array([0xba, 0x01, 0x05, 0, 0, 0xb8, 5, 0, 0, 0, 0xef]), 'host-linear')).toBe(11);
    expect(m.run(100)).toEqual({ kind: 'poweroff', status: 5 });
  });

  it('honours requestPause at the next instruction', () => {
    const m = machineFor('spin', P.HOST_SPIN);
    m.run(10);
    m.requestPause();
    expect(m.run(1000)).toEqual({ kind: 'pause' });
    expect(m.cpu.icount).toBe(10);
    expect(m.run(5)).toEqual({ kind: 'budget' });
  });

  it('delivers trace records from the trace channel, with the host symbol for trace_printk', () => {
    const m = machineFor('trace', P.HOST_TRACE);
    const seen: string[] = [];
    m.onTrace((r) => seen.push(r.event));
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
    expect(seen).toEqual(['kvm_exit', 'kvm_hypercall', 'trace_printk', 'kvm_entry']);
    const printk = m.traceRecords[2];
    expect(printk.text).toMatch(/^ {9}hc-host-1 {7}\[000\] \.{5} +\d+\.\d{6}: kvm_emulate_hypercall: Hello World$/);
    expect(printk.rip).toBe(m.host.symbol('kvm_emulate_hypercall')!.value);
    expect(m.traceRecords[0].tsc).toBeLessThan(m.traceRecords[3].tsc);
  });

  it('reads and writes memory through physical and host-linear translation', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    expect(m.translate(0x1000n, 'host-linear')).toBe(0x1000n);
    expect(m.translate(0x10n, 'host-linear')).toBeUndefined(); // null page not present
    expect(m.translate(0x3000000n, 'physical')).toBe(0x3000000n);
    expect(m.translate(0x5000000n, 'physical')).toBeUndefined(); // beyond 64 MiB
    expect(m.readMemory(0x1000n, 4, 'physical')).toEqual(new Uint8Array([0x48, 0x43, 0x42, 0x49]));
    expect(m.readMemory(0x10n, 4, 'host-linear')).toBeNull();
    // A read stops at the first byte that does not translate: its length is the readable length.
    expect(m.readMemory(0xffcn, 8, 'host-linear')).toBeNull();
    m.memory.bytes.set([1, 2, 3, 4], m.memory.size - 4);
    expect(m.readMemory(BigInt(m.memory.size - 4), 8, 'physical')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(m.readMemory(0xff8n + 0x1000n, 16, 'host-linear')!.length).toBe(16); // across a page boundary
    expect(m.writeMemory(0x2000000n, new Uint8Array([1, 2, 3]), 'host-linear')).toBe(3);
    expect(m.memory.bytes.subarray(0x2000000, 0x2000003)).toEqual(new Uint8Array([1, 2, 3]));
    expect(m.writeMemory(0xffen, new Uint8Array([9, 9, 9, 9]), 'host-linear')).toBe(0);
    expect(m.currentVmcs).toBeUndefined();
    expect(m.translate(0x100000n, 'guest-linear')).toBeUndefined(); // no VMCS yet
  });

  it('restores a snapshot exactly: same instruction count, output and trace on the rerun', () => {
    const m = machineFor('trace', P.HOST_TRACE);
    while (m.traceRecords.length < 1) m.step(); // snapshot between two trace events
    const at = m.cpu.icount;
    const snap = m.snapshot();
    expect(snap.icount).toBe(at);
    const firstStop = runToStop(m);
    const icount = m.cpu.icount;
    const trace = m.traceRecords.map((r) => r.text);
    expect(trace.length).toBe(4);
    m.restore(snap);
    expect(m.cpu.icount).toBe(at);
    expect(m.traceRecords.length).toBe(1);
    expect(m.exitStatus).toBeUndefined();
    expect(runToStop(m)).toEqual(firstStop);
    expect(m.cpu.icount).toBe(icount);
    expect(m.traceRecords.map((r) => r.text)).toEqual(trace);
  });

  it('snapshot/restore keeps the MSRs VM entry and exit switch (SYSENTER_*, PAT, DEBUGCTL), which are CpuState fields', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    m.run(5_000);
    const c = m.cpu;
    const switched = () => [c.sysenterCs, c.sysenterEsp, c.sysenterEip, c.pat, c.debugctl];
    const atReset = switched();
    const snap = m.snapshot();
    [c.sysenterCs, c.sysenterEsp, c.sysenterEip, c.pat, c.debugctl] = [0x10n, 0x2000n, 0x3000n, 0x0606060606060606n, 1n];
    const changed = m.snapshot();
    m.restore(snap);
    expect(switched()).toEqual(atReset);
    m.restore(changed);
    expect(switched()).toEqual([0x10n, 0x2000n, 0x3000n, 0x0606060606060606n, 1n]);
  });

  it('snapshot/restore of a compute run reproduces registers and memory', () => {
    const m = machineFor('compute', P.HOST_COMPUTE);
    m.run(5_000);
    const snap = m.snapshot();
    m.run(20_000);
    const regs = [...m.cpu.gpr], rip = m.cpu.rip, flags = m.cpu.getRflags();
    const mem = m.memory.bytes.slice(0x100000, 0x110000);
    m.restore(snap);
    m.writeMemory(0x2000000n, new Uint8Array([7]), 'physical'); // a page that was all zero at the snapshot
    m.writeMemory(0x3fff000n, new Uint8Array([7]), 'physical');
    m.restore(snap);
    expect(m.memory.bytes[0x2000000]).toBe(0);
    expect(m.memory.bytes[0x3fff000]).toBe(0);
    m.run(20_000);
    expect([...m.cpu.gpr]).toEqual(regs);
    expect(m.cpu.rip).toBe(rip);
    expect(m.cpu.getRflags()).toBe(flags);
    expect(m.memory.bytes.slice(0x100000, 0x110000)).toEqual(mem);
  });
});
