// The product's story over DAP on the real sample: break on the guest's VMCALL, step into
// the host's kvm_emulate_hypercall, read the hypercall, step back out to the guest, run to
// the end and see "Hello World" in the trace and the guest's console output.

import { frameNames, launchAndConfigure, scopeVariables, stack, stopAfter, traceEntries, useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF, MARKERS, source } from './sample';

const dc = useDebugClient();

describe('break on vmcall, step into the host and back', () => {
  it('follows one hypercall across the VM boundary', async () => {
    const firstStop = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
    const vmcall = await firstStop;
    expect(vmcall.body.reason).toBe('exception');
    expect(vmcall.body.description).toBe('VMCALL: hypercall KVM_HC_HELLO_HYPERCALL');

    // The stack shows the guest at its VMCALL line, through the syscall boundary into user code.
    let frames = await stack(dc());
    expect(frames[0].source?.path).toBe(`${GUEST_ELF.replace('build/guest.elf', '')}${MARKERS.guestVmcall.file}`);
    expect(frames[0].line).toBe(MARKERS.guestVmcall.line());
    expect(frames[0].name).toBe('kvm_hypercall0 [guest]');
    const names = frameNames(frames);
    expect(names).toContain('sys_hello_hypercall [guest]');
    expect(names).toContain('do_syscall_64 [guest]');
    expect(names).toContain('syscall 332');
    expect(names.indexOf('user_main [guest]')).toBeGreaterThan(names.indexOf('syscall 332'));
    const vmcallAddress = BigInt(frames[0].instructionPointerReference!);
    const bytes = await dc().send('readMemory', { memoryReference: frames[0].instructionPointerReference, count: 3 });
    expect(Buffer.from(bytes.body.data, 'base64').toString('hex')).toBe('0f01c1');

    // stepIn: the host's kvm_emulate_hypercall on top, the exit label, the guest below.
    await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_emulate_hypercall [host]');
    expect(frames[0].source?.path).toMatch(/\/samples\/hello-hypercall\/host\/x86\.c$/);
    const hostNames = frameNames(frames);
    expect(hostNames.slice(1, 3)).toEqual(['handle_vmcall [host]', 'vmx_handle_exit [host]']);
    const label = frames.findIndex((f) => f.name === 'VM exit: VMCALL');
    expect(label).toBeGreaterThan(2);
    expect(frames[label].presentationHint).toBe('label');
    expect(frames[label + 1].name).toBe('kvm_hypercall0 [guest]');
    expect(frames[label + 1].line).toBe(MARKERS.guestVmcall.line());

    const hypercall = await scopeVariables(dc(), frames[0].id, 'Hypercall');
    expect(hypercall.find((v) => v.name === 'nr')?.value).toBe('KVM_HC_HELLO_HYPERCALL (0x100)');

    // stepOut through handle_vmcall and vmx_handle_exit lands in the guest after the VMCALL.
    for (let i = 0; i < 5 && frames[0].name.endsWith('[host]'); i++) {
      await stopAfter(dc(), () => dc().stepOutRequest({ threadId: 1 }));
      frames = await stack(dc());
    }
    expect(frames[0].name).toBe('kvm_hypercall0 [guest]');
    expect(BigInt(frames[0].instructionPointerReference!)).toBe(vmcallAddress + 3n);
    expect(frameNames(frames)).not.toContain('VM exit: VMCALL');

    // Run to the end (no more stops on the later hypercalls): the trace and the console saw it all.
    await dc().setExceptionBreakpointsRequest({ filters: [] });
    const terminated = dc().waitForEvent('terminated');
    await dc().continueRequest({ threadId: 1 });
    await terminated;
    const trace = traceEntries(dc().events);
    const hello = trace.find((t) => t.record.event === 'trace_printk');
    expect(hello?.line).toMatch(/kvm_pv_hello_hypercall: Hello World$/);
    expect(hello?.record.side).toBe('host');
    expect(hello?.record.rip).toMatch(/^0x[0-9a-f]+$/);
    const hypercallRecord = trace.find((t) => t.record.event === 'kvm_hypercall');
    expect(hypercallRecord?.record.fields.nr).toBe('0x100');
    // Records come batched, every one once and in order, and all of them before the end.
    expect(trace.map((t) => t.record.seq)).toEqual(trace.map((_, i) => i));
    const batches = dc().events.filter((e) => e.event === 'hypercall/trace');
    expect(batches.length).toBeLessThan(trace.length);
    expect(dc().events.findIndex((e) => e.event === 'terminated')).toBeGreaterThan(dc().events.lastIndexOf(batches[batches.length - 1]));
    const stdout = dc().events.filter((e) => e.event === 'output' && e.body.category === 'stdout').map((e) => e.body.output).join('');
    expect(stdout).toContain('user: hello_hypercall() returned 0');
    const exited = dc().events.find((e) => e.event === 'exited');
    expect(exited?.body.exitCode).toBe(0);
  });

  it('next over the VMCALL runs the host and stops on the next guest line', async () => {
    const line = MARKERS.guestVmcall.line();
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setBreakpointsRequest({ source: { path: `${GUEST_ELF.replace('build/guest.elf', '')}${MARKERS.guestVmcall.file}` }, breakpoints: [{ line }] }));
    expect((await first).body.reason).toBe('breakpoint');
    let frames = await stack(dc());
    expect(frames[0].line).toBe(line);
    const traceBefore = traceEntries(dc().events).length;
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1 }));
    frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_hypercall0 [guest]');
    expect(frames[0].line).toBeGreaterThan(line);
    // The host handled the hypercall meanwhile: its trace records arrived.
    const during = traceEntries(dc().events).slice(traceBefore);
    expect(during.map((t) => t.record.event)).toContain('kvm_hypercall');
  });

  it('stepIn with hostStepInTarget "vmexit" stops at the host\'s first instruction after the exit', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, hostStepInTarget: 'vmexit' }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
    await first;
    await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    const frames = await stack(dc());
    expect(frames[0].name).toMatch(/\[host\]$/);
    const hostRip = await dc().evaluateRequest({ expression: 'rip', frameId: frames[0].id });
    const vmcs = await scopeVariables(dc(), frames[0].id, 'VMCS');
    const hostState = vmcs.find((v) => v.name === 'Host state')!;
    const fields = (await dc().variablesRequest({ variablesReference: hostState.variablesReference })).body.variables;
    expect(hostRip.body.result.split(' ')[0]).toBe(fields.find((f) => f.name === 'HOST_RIP')?.value);
  });
});

describe('line stepping in the guest', () => {
  it('stepIn enters syscall3 past its prologue; next steps over its SYSCALL (kernel and host run) back to the next user line', async () => {
    const line = MARKERS.guestSyscall.line();
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setBreakpointsRequest({ source: { path: source(MARKERS.guestSyscall.file) }, breakpoints: [{ line }] }));
    await first;
    await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    let frames = await stack(dc());
    expect(frames[0].name).toBe('syscall3 [guest]');
    expect(frames[0].source?.path).toBe(source('guest/unistd.h'));
    expect(frames[1].name).toBe('user_main [guest]');
    // Past the prologue: the frame pointer is set up, so the caller's frame is found.
    expect(frames[1].line).toBe(line);
    // next inside syscall3 steps over its SYSCALL instruction (kernel and host run) and never stops in the kernel.
    const seen: string[] = [];
    for (let i = 0; i < 8 && frames[0].name !== 'user_main [guest]'; i++) {
      await stopAfter(dc(), () => dc().nextRequest({ threadId: 1 }));
      frames = await stack(dc());
      seen.push(frames[0].name);
    }
    expect(seen.every((n) => n === 'syscall3 [guest]' || n === 'user_main [guest]')).toBe(true);
    expect(frames[0]).toMatchObject({ name: 'user_main [guest]', line: line + 1 });
    const trace = traceEntries(dc().events).map((t) => t.line);
    expect(trace.some((l) => l.endsWith('kvm_pv_hello_hypercall: Hello World'))).toBe(true);
  });
});
