// Breakpoints in both ELFs over DAP: source lines (mapped to the ELF whose line table holds
// the file), instruction breakpoints on either side, function breakpoints with hit counts,
// conditions, logpoints, the vmexit filter with a condition, and data breakpoints.

import { readFileSync } from 'node:fs';
import { frameNames, launchAndConfigure, stack, stopAfter, traceEntries, useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF, MARKERS, source } from './sample';

const dc = useDebugClient();

/** Address of an ELF symbol, read with the ELF's own symbol table (independent of the adapter). */
function symbolAddress(elfPath: string, name: string): bigint {
  const b = readFileSync(elfPath);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    if (b.readUInt32LE(sh + 4) !== 2) continue; // SHT_SYMTAB
    const off = Number(b.readBigUInt64LE(sh + 0x18));
    const size = Number(b.readBigUInt64LE(sh + 0x20));
    const strtab = shoff + b.readUInt32LE(sh + 0x28) * shentsize;
    const stroff = Number(b.readBigUInt64LE(strtab + 0x18));
    for (let s = off; s < off + size; s += 24) {
      const nameOff = b.readUInt32LE(s);
      const end = b.indexOf(0, stroff + nameOff);
      if (b.toString('latin1', stroff + nameOff, end) === name) return b.readBigUInt64LE(s + 8);
    }
  }
  throw new Error(`${name} not in ${elfPath}`);
}

describe('breakpoints', () => {
  it('stops at source lines in the guest and then in the host', async () => {
    const guestLine = MARKERS.guestSyscall.line();
    const hostLine = MARKERS.hostHello.line();
    let guestBp: number | undefined;
    let hostBp: number | undefined;
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, async () => {
      const g = await dc().setBreakpointsRequest({ source: { path: source(MARKERS.guestSyscall.file) }, breakpoints: [{ line: guestLine }] });
      const h = await dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHello.file) }, breakpoints: [{ line: hostLine }] });
      expect(g.body.breakpoints[0]).toMatchObject({ verified: true, line: guestLine });
      expect(h.body.breakpoints[0]).toMatchObject({ verified: true, line: hostLine });
      guestBp = g.body.breakpoints[0].id;
      hostBp = h.body.breakpoints[0].id;
    });
    const atGuest = await first;
    expect(atGuest.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [guestBp] });
    let frames = await stack(dc());
    expect(frames[0]).toMatchObject({ name: 'user_main [guest]', line: guestLine });
    expect(frames[0].source?.path).toBe(source(MARKERS.guestSyscall.file));

    const atHost = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(atHost.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [hostBp] });
    frames = await stack(dc());
    expect(frames[0]).toMatchObject({ name: 'kvm_pv_hello_hypercall [host]', line: hostLine });
    expect(frames[1].name).toBe('kvm_emulate_hypercall [host]');
    expect(frames.some((f) => f.name === 'VM exit: VMCALL')).toBe(true);
  });

  it('refuses a source file neither ELF was built from', async () => {
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, stopOnEntry: true }, async () => {
      const r = await dc().setBreakpointsRequest({ source: { path: '/tmp/elsewhere.c' }, breakpoints: [{ line: 3 }] });
      expect(r.body.breakpoints[0]).toMatchObject({ verified: false, message: 'Neither the host nor the guest ELF has code from this file.' });
    });
  });

  it('stops at instruction breakpoints on each side, not at the same address on the other', async () => {
    const hostFn = symbolAddress(HOST_ELF, 'kvm_emulate_hypercall');
    const guestFn = symbolAddress(GUEST_ELF, 'sys_hello_hypercall');
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, async () => {
      const r = await dc().send('setInstructionBreakpoints', {
        breakpoints: [{ instructionReference: `guest:0x${guestFn.toString(16)}` }, { instructionReference: `host:0x${hostFn.toString(16)}` }],
      });
      expect(r.body.breakpoints.map((b: { verified: boolean }) => b.verified)).toEqual([true, true]);
    });
    expect((await first).body.reason).toBe('instruction breakpoint');
    let frames = await stack(dc());
    expect(frames[0].name).toBe('sys_hello_hypercall [guest]');
    expect(BigInt(frames[0].instructionPointerReference!)).toBe(guestFn);
    const second = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(second.body.reason).toBe('instruction breakpoint');
    frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_emulate_hypercall [host]');
    expect(BigInt(frames[0].instructionPointerReference!)).toBe(hostFn);
  });

  it('honours hit counts on function breakpoints and prints logpoints', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, async () => {
      await dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHandleVmcall.file) }, breakpoints: [{ line: MARKERS.hostHandleVmcall.line(), logMessage: 'handle_vmcall for nr {vcpu->arch.regs[0]}' }] });
      const r = await dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall', hitCondition: '2' }] });
      expect(r.body.breakpoints[0].verified).toBe(true);
    });
    expect((await first).body.reason).toBe('function breakpoint');
    const hypercalls = traceEntries(dc().events).filter((t) => t.record.event === 'kvm_hypercall');
    // The second call stops before its own trace_kvm_hypercall: only the first one was traced.
    expect(hypercalls.length).toBe(1);
    const logs = dc().events.filter((e) => e.event === 'output' && e.body.category === 'console' && e.body.output.startsWith('handle_vmcall for nr'));
    expect(logs.length).toBe(2);
  });

  it('puts a function breakpoint on every copy of a static inline helper', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'guest:kvm_hypercall0' }] }));
    await first;
    let frames = await stack(dc());
    expect(frameNames(frames).slice(0, 2)).toEqual(['kvm_hypercall0 [guest]', 'sys_hello_hypercall [guest]']);
    await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    frames = await stack(dc());
    expect(frameNames(frames).slice(0, 2)).toEqual(['kvm_hypercall0 [guest]', 'user_main [guest]']);
  });

  it('stops on a conditional source breakpoint only when the condition holds', async () => {
    const line = MARKERS.hostHandleVmcall.line();
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHandleVmcall.file) }, breakpoints: [{ line, condition: 'vcpu->arch.regs[0] == 0x101' }] }));
    expect((await first).body.reason).toBe('breakpoint');
    const frames = await stack(dc());
    const nr = await dc().evaluateRequest({ expression: 'vcpu->arch.regs[0]', frameId: frames[0].id });
    expect(nr.body.result).toMatch(/^257\b|0x101/);
  });

  it('stops on the vmexit filter only for the exit reason its condition names', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'vmexit', condition: 'reason == HLT' }] }));
    const stop = await first;
    expect(stop.body).toMatchObject({ reason: 'exception', description: 'VM exit: HLT' });
  });

  it('stops on the vmcall filter only for the hypercall number its condition names', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, async () => {
      const r = await dc().setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'vmcall', condition: 'nr == 0x101' }, { filterId: 'vmexit', condition: 'reason ==' }] });
      expect(r.body?.breakpoints?.[0]).toMatchObject({ verified: true });
      expect(r.body?.breakpoints?.[1]).toMatchObject({ verified: false, message: 'The vmexit condition "reason ==" is not valid: The expression ends too early.' });
    });
    const stop = await first;
    expect(stop.body).toMatchObject({ reason: 'exception', description: 'VMCALL: hypercall KVM_HC_HELLO_STRING' });
    const frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_hypercall2 [guest]');
  });

  it('stops when a data breakpoint sees the host count a hypercall', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] }));
    await first;
    const frames = await stack(dc());
    const info = await dc().dataBreakpointInfoRequest({ name: 'vcpu->stat.hypercalls', frameId: frames[0].id });
    expect(info.body.dataId).toMatch(/^host:0x[0-9a-f]+:8$/);
    // The same from the Variables view: a local by its container; a register has no address.
    const scopes = (await dc().scopesRequest({ frameId: frames[0].id })).body.scopes;
    const locals = scopes.find((s) => s.name === 'Locals')!;
    const local = await dc().dataBreakpointInfoRequest({ name: 'op_64_bit', variablesReference: locals.variablesReference });
    expect(local.body.dataId).toMatch(/^host:0x[0-9a-f]+:4$/);
    const registers = scopes.find((s) => s.name === 'Host registers')!;
    const reg = await dc().dataBreakpointInfoRequest({ name: 'rax', variablesReference: registers.variablesReference });
    expect(reg.body).toMatchObject({ dataId: null, description: 'rax is not a variable or address in memory.' });
    await dc().setFunctionBreakpointsRequest({ breakpoints: [] });
    const set = await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    expect(set.body.breakpoints[0].verified).toBe(true);
    const hit = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(hit.body.reason).toBe('data breakpoint');
    const top = (await stack(dc()))[0];
    expect(top.name).toBe('kvm_emulate_hypercall [host]');
  });
});
