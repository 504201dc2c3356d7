// Time travel over DAP on the real sample: forward to the Hello World trace_printk and the
// next VMCALL, reverse continue back to the breakpoint and the previous VMCALL, step back
// across the VM exit to the guest's vmcall, forward again: each stop's whole state (step,
// stack, registers, VMCS, console output, trace lines) equals the first pass's.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchAndConfigure, stack, stopAfter, traceEntries, useDebugClient } from './helpers';
import type { InProcessDebugClient } from './inProcessClient';
import { GUEST_ELF, HOST_ELF, MARKERS, SAMPLE, source } from './sample';

const dc = useDebugClient();

/**
 * The client's view at each stop: the guest console up to the moment (the Debug Console
 * prints each character once; `hypercall/moment` says how much of it has happened), and the
 * trace truncated as the moment says (going back), extended as records arrive.
 */
function followOutput(client: InProcessDebugClient): () => { guest: string; trace: string[]; step: number } {
  let printed = '', guest = 0, step = -1;
  let trace: string[] = [];
  client.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') printed += e.body.output; });
  client.on('hypercall/trace', (e: DebugProtocol.Event) => { for (const entry of traceEntries([e])) trace.push(entry.line); });
  client.on('hypercall/moment', (e: DebugProtocol.Event) => {
    guest = e.body.output.guest;
    trace = trace.slice(0, e.body.output.trace);
    step = e.body.step;
  });
  return () => ({ guest: printed.slice(0, guest), trace: [...trace], step });
}

async function variables(ref: number): Promise<Record<string, string>> {
  const vars = (await dc().variablesRequest({ variablesReference: ref })).body.variables;
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

/** Everything the user can see at a stop. */
async function wholeState(output: () => { guest: string; trace: string[]; step: number }): Promise<Record<string, unknown>> {
  const frames = await stack(dc());
  const top = frames[0];
  const scopes = (await dc().scopesRequest({ frameId: top.id })).body.scopes;
  const shown: Record<string, unknown> = {};
  for (const scope of scopes) {
    if (scope.name === 'VMCS') {
      const groups = (await dc().variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
      for (const g of groups) shown[`VMCS ${g.name}`] = g.variablesReference ? await variables(g.variablesReference) : g.value;
    } else if (/registers|Hypercall/.test(scope.name)) {
      shown[scope.name] = await variables(scope.variablesReference);
    }
  }
  // The running side's stack as memory: 512 bytes from its RSP.
  const rsp = (await dc().evaluateRequest({ expression: 'rsp', frameId: top.id })).body.result.split(' ')[0];
  const stackBytes = await dc().send('readMemory', { memoryReference: rsp, count: 512 });
  return {
    ...output(), frames: frames.map((f) => `${f.name}:${f.line}:${f.instructionPointerReference ?? ''}`),
    scopes: shown, stack: stackBytes.body.data,
  };
}

describe('time travel across the VM boundary', () => {
  it('offers Step Back and Reverse Continue', async () => {
    const caps = (await dc().initializeRequest({ adapterID: 'hypercall', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true })).body;
    expect(caps?.supportsStepBack).toBe(true);
  });

  it('reverse continue and step back reach the first pass\'s states exactly, and forward again too', async () => {
    const output = followOutput(dc());
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, trace: true }, async () => {
      await dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] });
      await dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHello.file) }, breakpoints: [{ line: MARKERS.hostHello.line() }] });
    });

    // First pass: VMCALL #1, the trace_printk line, past it, VMCALL #2.
    expect((await first).body.description).toBe('VMCALL: hypercall KVM_HC_HELLO_HYPERCALL');
    const atVmcall = await wholeState(output);
    expect((await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }))).body.reason).toBe('breakpoint');
    const atHello = await wholeState(output);
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1 }));
    const afterHello = await wholeState(output);
    expect((afterHello.trace as string[]).at(-1)).toMatch(/kvm_pv_hello_hypercall: Hello World$/);
    expect(atHello.trace).not.toContainEqual(expect.stringMatching(/Hello World$/));
    expect((await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }))).body.description).toMatch(/^VMCALL: hypercall /);
    const atVmcall2 = await wholeState(output);
    expect(atVmcall2.step).toBeGreaterThan(afterHello.step as number);

    // Backwards: the breakpoint, then the previous VMCALL, exactly as the forward run stopped there.
    expect((await stopAfter(dc(), () => dc().send('reverseContinue', { threadId: 1 }))).body.reason).toBe('breakpoint');
    expect(await wholeState(output)).toEqual(atHello);
    const back = await stopAfter(dc(), () => dc().send('reverseContinue', { threadId: 1 }));
    expect(back.body.description).toBe('VMCALL: hypercall KVM_HC_HELLO_HYPERCALL');
    expect(await wholeState(output)).toEqual(atVmcall);

    // One instruction back from the host's first instruction after the exit: the guest's vmcall.
    await stopAfter(dc(), () => dc().send('stepBack', { threadId: 1, granularity: 'instruction' }));
    const frames = await stack(dc());
    expect(frames[0].name).toMatch(/\[guest\]$/);
    const bytes = await dc().send('readMemory', { memoryReference: frames[0].instructionPointerReference, count: 3 });
    expect(Buffer.from(bytes.body.data, 'base64').toString('hex')).toBe('0f01c1');
    expect(output().step).toBe((atVmcall.step as number) - 1);

    // Forward again: the same stops with the same states (output regenerated, not repeated).
    expect((await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }))).body.description).toBe('VMCALL: hypercall KVM_HC_HELLO_HYPERCALL');
    expect(await wholeState(output)).toEqual(atVmcall);
    await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(await wholeState(output)).toEqual(atHello);
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1 }));
    expect(await wholeState(output)).toEqual(afterHello);
    // Step Back by line is the reverse of next: back to the start of the trace_printk line.
    await stopAfter(dc(), () => dc().send('stepBack', { threadId: 1 }));
    expect(await wholeState(output)).toEqual(atHello);
    await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(await wholeState(output)).toEqual(atVmcall2);
  });

  it('reverse continue stops at the last write to a watched variable, where the forward run stopped', async () => {
    const output = followOutput(dc());
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] }));
    await first;
    const frames = await stack(dc());
    const info = await dc().dataBreakpointInfoRequest({ name: 'vcpu->stat.hypercalls', frameId: frames[0].id });
    await dc().setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const writes: Record<string, unknown>[] = [];
    for (let i = 0; i < 2; i++) {
      expect((await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }))).body.reason).toBe('data breakpoint');
      writes.push(await wholeState(output));
    }
    expect(writes[1].step).toBeGreaterThan(writes[0].step as number);
    expect((await stopAfter(dc(), () => dc().send('reverseContinue', { threadId: 1 }))).body.reason).toBe('data breakpoint');
    expect(await wholeState(output)).toEqual(writes[0]);
  });

  it('reverse step out goes back to each call, and from the exit dispatcher to the guest\'s vmcall', async () => {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () =>
      dc().setBreakpointsRequest({ source: { path: source(MARKERS.hostHello.file) }, breakpoints: [{ line: MARKERS.hostHello.line() }] }));
    await first;
    const callers: string[] = [];
    let frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_pv_hello_hypercall [host]');
    for (let i = 0; i < 5 && frames[0].name.endsWith('[host]'); i++) {
      const caller = frames[1].name;
      await stopAfter(dc(), () => dc().send('hypercall/reverseStepOut', {}));
      frames = await stack(dc());
      callers.push(frames[0].name);
      const [instruction] = (await dc().send('disassemble', { memoryReference: frames[0].instructionPointerReference, instructionCount: 1 })).body.instructions;
      // At the call instruction in the caller, or at the guest's vmcall.
      if (frames[0].name.endsWith('[host]')) {
        expect(frames[0].name).toBe(caller);
        expect(instruction.instruction).toMatch(/^call /);
      } else {
        expect(instruction.instruction).toBe('vmcall');
      }
    }
    expect(callers.slice(0, 3)).toEqual(['kvm_emulate_hypercall [host]', 'handle_vmcall [host]', 'vmx_handle_exit [host]']);
    expect(callers.at(-1)).toBe('kvm_hypercall0 [guest]');
  });

  it('steps back from the guest instruction after VMRESUME onto the host\'s vmresume, and goes to a trace event', async () => {
    const output = followOutput(dc());
    const entries: number[] = [];
    dc().on('hypercall/trace', (e: DebugProtocol.Event) => { for (const t of traceEntries([e])) if (t.record.event === 'kvm_entry') entries.push(t.step); });
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, trace: true }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
    await first;
    const atVmcall = output().step;
    // next over the VMCALL: the host handles it and resumes the guest (kvm_entry in the trace).
    await stopAfter(dc(), () => dc().nextRequest({ threadId: 1 }));
    const kvmEntryStep = entries.find((step) => step > atVmcall)!;
    expect(kvmEntryStep).toBeDefined();
    expect(output().step).toBeGreaterThan(kvmEntryStep);
    await stopAfter(dc(), () => dc().send('hypercall/goToStep', { step: kvmEntryStep }));
    expect(output().step).toBe(kvmEntryStep);
    expect(output().trace.at(-1)).toMatch(/kvm_entry: /);

    // Instruction by instruction into the guest; one step back is the host's VMRESUME.
    let frames = await stack(dc());
    for (let i = 0; i < 500 && frames[0].name.endsWith('[host]'); i++) {
      await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1, granularity: 'instruction' }));
      frames = await stack(dc());
    }
    expect(frames[0].name).toMatch(/\[guest\]$/);
    await stopAfter(dc(), () => dc().send('stepBack', { threadId: 1, granularity: 'instruction' }));
    frames = await stack(dc());
    expect(frames[0].name).toMatch(/\[host\]$/);
    const bytes = await dc().send('readMemory', { memoryReference: frames[0].instructionPointerReference, count: 3 });
    expect(Buffer.from(bytes.body.data, 'base64').toString('hex')).toBe('0f01c3'); // VMRESUME
  });
});

describe('Step Back by line from the host', () => {
  /** Stops on the first VMCALL, steps into the host, returns the vmcall's frame and moment. */
  async function intoHost(hostStepInTarget: string, output: () => { step: number }): Promise<{ vmcallFrame: string; vmcallStep: number }> {
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, hostStepInTarget }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
    await first;
    const top = (await stack(dc()))[0];
    const vmcallStep = output().step - 1; // the filter stop is the host at the exit; the vmcall is the step before
    await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    expect((await stack(dc()))[0].name).toMatch(/\[host\]$/);
    return { vmcallFrame: `${top.name}:${top.line}`, vmcallStep };
  }

  async function expectAtVmcall(at: { vmcallFrame: string; vmcallStep: number }, output: () => { step: number }): Promise<void> {
    const frames = await stack(dc());
    expect(`${frames[0].name}:${frames[0].line}`).toBe(at.vmcallFrame);
    expect(frames.map((f) => f.name)).not.toContain('VM exit: VMCALL');
    const bytes = await dc().send('readMemory', { memoryReference: frames[0].instructionPointerReference, count: 3 });
    expect(Buffer.from(bytes.body.data, 'base64').toString('hex')).toBe('0f01c1');
    expect(output().step).toBe(at.vmcallStep);
  }

  it('from the first host instruction after the exit goes back to the guest\'s vmcall, not to the host before VMRESUME', async () => {
    const output = followOutput(dc());
    const at = await intoHost('vmexit', output);
    await stopAfter(dc(), () => dc().send('stepBack', { threadId: 1 }));
    await expectAtVmcall(at, output);
  });

  it('from kvm_emulate_hypercall goes back line by line through the host\'s callers, then to the guest\'s vmcall', async () => {
    const output = followOutput(dc());
    const at = await intoHost('kvm_emulate_hypercall', output);
    const tops: string[] = [(await stack(dc()))[0].name];
    for (let i = 0; i < 40 && tops.at(-1)!.endsWith('[host]'); i++) {
      await stopAfter(dc(), () => dc().send('stepBack', { threadId: 1 }));
      tops.push((await stack(dc()))[0].name);
    }
    expect(tops[0]).toBe('kvm_emulate_hypercall [host]');
    expect(tops).toContain('handle_vmcall [host]');
    expect(tops).toContain('vmx_handle_exit [host]');
    await expectAtVmcall(at, output);
  });
});

describe('console output across history', () => {
  interface Stop { step: number; guest: number }

  /** Every stdout character and every console line the Debug Console was sent, and the last moment. */
  function record(): { stdout: () => string; console: () => string; moment: () => Stop } {
    let stdout = '', console = '';
    let moment: Stop = { step: -1, guest: 0 };
    dc().on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === 'stdout') stdout += e.body.output;
      else console += e.body.output;
    });
    dc().on('hypercall/moment', (e: DebugProtocol.Event) => { moment = { step: e.body.step, guest: e.body.output.guest }; });
    return { stdout: () => stdout, console: () => console, moment: () => moment };
  }

  /** Continues from VMCALL stop to VMCALL stop until the moment `step`. */
  async function forwardTo(step: number, moment: () => Stop): Promise<void> {
    for (let i = 0; i < 20 && moment().step < step; i++) await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(moment().step).toBe(step);
  }

  it('prints each character once when going back and forward again, and marks a changed past before its new output', async () => {
    const out = record();
    const first = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
    await first;
    // Two VMCALL stops with guest output printed between them.
    const stops: Stop[] = [out.moment()];
    for (let i = 0; i < 10 && !(stops.length > 1 && stops.at(-1)!.guest > stops[0].guest); i++) {
      await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
      stops.push(out.moment());
    }
    const [a, b] = [stops[0], stops.at(-1)!];
    expect(b.guest).toBeGreaterThan(a.guest);
    const firstPass = out.stdout();
    expect(firstPass).toHaveLength(b.guest);

    // Back to the first stop and forward again: nothing is printed a second time.
    await stopAfter(dc(), () => dc().send('hypercall/goToStep', { step: a.step }));
    expect(out.moment()).toEqual(a);
    await forwardTo(b.step, out.moment);
    expect(out.stdout()).toBe(firstPass);
    expect(out.console()).not.toMatch(/The past changed/);

    // Changing the past there (a write, even of the same bytes, discards the future): one line
    // says so, then the output from that moment on is printed again as the new timeline makes it.
    await stopAfter(dc(), () => dc().send('hypercall/goToStep', { step: a.step }));
    const top = (await stack(dc()))[0];
    const rsp = (await dc().evaluateRequest({ expression: 'rsp', frameId: top.id })).body.result.split(' ')[0];
    const bytes = await dc().send('readMemory', { memoryReference: rsp, count: 8 });
    await dc().send('writeMemory', { memoryReference: rsp, data: bytes.body.data });
    expect(out.console().match(/The past changed at step (\d+)/g)).toEqual([`The past changed at step ${a.step}`]);
    await forwardTo(b.step, out.moment);
    expect(out.stdout()).toBe(firstPass + firstPass.slice(a.guest));
    expect(out.console().match(/The past changed/g)).toHaveLength(1);
  });
});

describe('pause during a backwards search', () => {
  const LOOP_ELF = `${SAMPLE}/build/tests/hypercall-loop.elf`;

  it('stops a reverse continue at a recorded moment between the start and where it would have ended, as goToStep shows it', async () => {
    const output = followOutput(dc());
    await launchAndConfigure(dc(), { guest: LOOP_ELF, host: HOST_ELF });
    // Forward far enough for the way back to span many snapshot intervals (500,000 steps each).
    for (let i = 0; i < 10 && output().step < 5_000_000; i++) {
      if (i > 0) await dc().continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await stopAfter(dc(), () => dc().pauseRequest({ threadId: 1 }))).body.reason).toBe('pause');
    }
    const far = output().step;
    expect(far).toBeGreaterThanOrEqual(5_000_000);

    // No breakpoint before: uninterrupted, this reverse continue would go back to the beginning.
    const stopped = dc().waitForEvent('stopped');
    await dc().send('reverseContinue', { threadId: 1 });
    await dc().pauseRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('pause');
    const paused = await wholeState(output);
    expect(paused.step).toBeLessThan(far);
    expect(paused.step).toBeGreaterThan(0);

    // The same moment reached by going there directly: the search left no half-run state behind.
    await stopAfter(dc(), () => dc().send('hypercall/goToStep', { step: far }));
    await stopAfter(dc(), () => dc().send('hypercall/goToStep', { step: paused.step }));
    expect(await wholeState(output)).toEqual(paused);
    // And from there, not paused, it goes on to the beginning of history.
    expect((await stopAfter(dc(), () => dc().send('reverseContinue', { threadId: 1 }))).body.reason).toBe('entry');
    expect(output().step).toBeLessThan(paused.step as number);
  });
});
