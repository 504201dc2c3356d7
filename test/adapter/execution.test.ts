// Execution control and inspection over DAP: pause answers fast even in a tight guest loop;
// stepping by instruction; registers, VMCS, memory, disassembly, evaluate and setVariable.

import { fixture } from './fixtures';
import { launchAndConfigure, scopeVariables, stack, stopAfter, useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF, MARKERS, source } from './sample';

const dc = useDebugClient();

describe('execution and inspection', () => {
  // A run that blocked the event loop would never see the pause request: the stop proves the
  // slicing. How fast it answers is a benchmark figure (npm run bench), not a test assertion.
  it('pauses a guest spinning in a tight loop at once', async () => {
    // Run until the guest's loop is reached, then let it spin.
    const inGuest = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: fixture('spin-guest'), host: HOST_ELF }, () =>
      dc().send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'guest:0x100000' }] }));
    await inGuest;
    await dc().send('setInstructionBreakpoints', { breakpoints: [] });
    await dc().continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = await stopAfter(dc(), () => dc().pauseRequest({ threadId: 1 }));
    expect(stopped.body.reason).toBe('pause');
    const frames = await stack(dc());
    expect(frames[0].name).toMatch(/\[guest\]$/);
    // The loop counter is the guest's RAX: it is moving.
    const rax1 = await dc().evaluateRequest({ expression: '$rax', frameId: frames[0].id });
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1, granularity: 'instruction' }));
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1, granularity: 'instruction' }));
    const rax2 = await dc().evaluateRequest({ expression: 'rax', frameId: (await stack(dc()))[0].id });
    expect(BigInt(rax2.body.result.split(' ')[0]) - BigInt(rax1.body.result.split(' ')[0])).toBe(1n);
  });

  it('shows registers, the VMCS with the decoded exit reason, memory and disassembly; changes a register', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_vmcall' }] }));
    await first;
    const frames = await stack(dc());
    const top = frames[0];
    expect(top.name).toBe('handle_vmcall [host]');

    const vmcs = await scopeVariables(dc(), top.id, 'VMCS');
    const exitInfo = (await dc().variablesRequest({ variablesReference: vmcs.find((v) => v.name === 'VM-exit information')!.variablesReference })).body.variables;
    expect(exitInfo.find((v) => v.name === 'VM_EXIT_REASON')?.value).toBe('0x12 (VMCALL)');

    const guestRegs = await scopeVariables(dc(), top.id, 'Guest registers');
    expect(guestRegs.find((v) => v.name === 'rax')?.value).toBe('0x100');
    const hostRegs = await scopeVariables(dc(), top.id, 'Host registers');
    expect(hostRegs.find((v) => v.name === 'rflags')?.value).toMatch(/^0x[0-9a-f]+ \[.*\]$/);

    // setVariable on a live host register and on a VMCS field.
    const hostScope = (await dc().scopesRequest({ frameId: top.id })).body.scopes.find((s) => s.name === 'Host registers')!;
    const set = await dc().setVariableRequest({ variablesReference: hostScope.variablesReference, name: 'r15', value: '0x1234 + 1' });
    expect(set.body.value).toBe('0x1235');
    expect((await dc().evaluateRequest({ expression: 'r15', frameId: top.id })).body.result).toBe('0x1235 (4661)');
    const guestState = vmcs.find((v) => v.name === 'Guest state')!;
    const guestFields = (await dc().variablesRequest({ variablesReference: guestState.variablesReference })).body.variables;
    const dr7 = guestFields.find((v) => v.name === 'GUEST_DR7')!;
    const written = await dc().setVariableRequest({ variablesReference: guestState.variablesReference, name: 'GUEST_DR7', value: '0x401' });
    // The field now differs from what the VM exit left: it says so, with the exit's value as a child.
    expect(written.body.value).toBe('0x401 (changed since the VM exit)');
    expect(dr7.value).toBe('0x400'); // the architectural reset value the host leaves
    const atExit = (await dc().variablesRequest({ variablesReference: written.body.variablesReference! })).body.variables;
    expect(atExit.map((v) => [v.name, v.value])).toEqual([['at the VM exit', '0x400']]);

    // Memory of the guest frame below the exit label, through the guest's page tables.
    const guestFrame = frames[frames.findIndex((f) => f.name === 'VM exit: VMCALL') + 1];
    const hostGlobals = await scopeVariables(dc(), top.id, 'Globals (host)');
    expect(hostGlobals.map((v) => v.name)).toContain('vmcs_config');
    const guestGlobals = await scopeVariables(dc(), guestFrame.id, 'Globals (guest)');
    expect(guestGlobals.find((v) => v.name === 'sys_call_table')?.type).toMatch(/sys_call_ptr_t/);
    expect(guestFrame.instructionPointerReference).toMatch(/^guest:0x/);
    const mem = await dc().send('readMemory', { memoryReference: guestFrame.instructionPointerReference, count: 3 });
    expect(Buffer.from(mem.body.data, 'base64').toString('hex')).toBe('0f01c1');
    const dis = await dc().send('disassemble', { memoryReference: guestFrame.instructionPointerReference, instructionCount: 3, instructionOffset: -1 });
    expect(dis.body.instructions).toHaveLength(3);
    expect(dis.body.instructions[1].instruction).toBe('vmcall');
    const hostDis = await dc().send('disassemble', { memoryReference: top.instructionPointerReference, instructionCount: 1 });
    expect(hostDis.body.instructions[0].address).toBe(top.instructionPointerReference);

    // writeMemory then readMemory on the host side.
    const stackTop = await dc().evaluateRequest({ expression: 'rsp - 64', frameId: top.id });
    const ref = stackTop.body.memoryReference!;
    await dc().send('writeMemory', { memoryReference: ref, data: Buffer.from('cafe', 'hex').toString('base64') });
    const back = await dc().send('readMemory', { memoryReference: ref, count: 2 });
    expect(Buffer.from(back.body.data, 'base64').toString('hex')).toBe('cafe');

    // evaluate: symbols and C expressions.
    expect((await dc().evaluateRequest({ expression: 'vcpu->vcpu_id', frameId: top.id })).body.result).toBe('0');
    expect((await dc().evaluateRequest({ expression: 'KVM_HC_HELLO_HYPERCALL + 1', frameId: top.id })).body.result).toBe('0x101 (257)');
    const bad = await dc().failure(dc().evaluateRequest({ expression: 'no_such_thing', frameId: top.id }));
    expect(bad).toBe('No variable, register or symbol is named no_such_thing.');
  });

  it('puts an instruction breakpoint from the disassembly view on the side that view showed', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_vmcall' }] }));
    await first;
    const top = (await stack(dc()))[0];
    const dis = await dc().send('disassemble', { memoryReference: top.instructionPointerReference, instructionCount: 4 });
    const target = dis.body.instructions[3].address as string;
    await dc().setFunctionBreakpointsRequest({ breakpoints: [] });
    const set = await dc().send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: target }] });
    expect(set.body.breakpoints[0]).toMatchObject({ verified: true, instructionReference: `host:${target}` });
    const hit = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(hit.body.reason).toBe('instruction breakpoint');
    const now = (await stack(dc()))[0];
    expect(now).toMatchObject({ name: 'handle_vmcall [host]', instructionPointerReference: target });
  });

  it('changes a C local in the host frame', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHello.file) }, breakpoints: [{ line: MARKERS.hostHello.line() }] }));
    await first;
    // The breakpoint is in the KVM_HC_HELLO_HYPERCALL handler; kvm_emulate_hypercall, which called it, holds nr and a0..a3.
    const top = (await stack(dc()))[1];
    expect(top.name).toBe('kvm_emulate_hypercall [host]');
    const locals = (await dc().scopesRequest({ frameId: top.id })).body.scopes.find((s) => s.name === 'Locals')!;
    const before = (await dc().variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
    expect(before.find((v) => v.name === 'nr')?.value).toBe('256');
    const set = await dc().setVariableRequest({ variablesReference: locals.variablesReference, name: 'a3', value: '0x77' });
    expect(set.body.value).toBe('119');
    expect((await dc().evaluateRequest({ expression: 'a3 + 1', frameId: top.id })).body.result).toBe('0x78 (120)');
    const refused = await dc().failure(dc().setVariableRequest({ variablesReference: locals.variablesReference, name: 'a3', value: 'banana' }));
    expect(refused).toBe('"banana" is not a number this variable can hold.');
  });

  it('answers sourceForAddress for both sides', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] }));
    await first;
    const top = (await stack(dc()))[0];
    const r = await dc().customRequest('hypercall/sourceForAddress', { address: top.instructionPointerReference, side: 'host' });
    expect(r.body).toEqual({ path: top.source?.path, line: top.line });
    const none = await dc().customRequest('hypercall/sourceForAddress', { address: '0x10', side: 'guest' });
    expect(none.body).toEqual({ disassembly: true });
  });
});
