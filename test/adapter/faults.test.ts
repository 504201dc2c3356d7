// Each way a session can end abnormally, over DAP: the stop names the cause and the address
// (an "important" output line and a stopped event), the next continue ends the session
// cleanly, and a restart runs the machine again.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture } from './fixtures';
import { launchAndConfigure, stack } from './helpers';
import { InProcessDebugClient } from './inProcessClient';
import { GUEST_ELF, HOST_ELF } from './sample';

let dc: InProcessDebugClient;

afterEach(async () => {
  await dc.stop();
});

async function faultStop(launch: Record<string, unknown>, options = {}): Promise<{ stop: DebugProtocol.StoppedEvent; output: string }> {
  dc = new InProcessDebugClient(options);
  await dc.start();
  const stopped = dc.waitForEvent('stopped');
  await launchAndConfigure(dc, launch);
  const stop = (await stopped) as DebugProtocol.StoppedEvent;
  const output = dc.events.filter((e) => e.event === 'output' && e.body.category === 'important').map((e) => e.body.output).join('');
  return { stop, output };
}

async function expectCleanEnd(): Promise<void> {
  const terminated = dc.waitForEvent('terminated');
  await dc.continueRequest({ threadId: 1 });
  await terminated;
}

describe('faults', () => {
  it('a host that never enters the guest', async () => {
    const { stop, output } = await faultStop({ guest: fixture('idle-guest'), host: fixture('spin-host') }, { neverEnteredLimit: 200_000 });
    expect(stop.body).toMatchObject({ reason: 'exception', description: 'The host never launched the guest' });
    expect(output).toBe('The host ran 200000 instructions without entering the guest (no successful VMLAUNCH); it is at host RIP 0x100000.\n');
    expect(stop.body.text).toBe(output.trim());
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    expect(info.body.description).toBe(output.trim());
    await expectCleanEnd();
  });

  it('a host that powers off before any VM entry', async () => {
    const { stop, output } = await faultStop({ guest: fixture('idle-guest'), host: fixture('poweroff-host') });
    expect(stop.body.description).toBe('The host never launched the guest');
    expect(output).toMatch(/^The host powered the machine off \(status 3\) at host RIP 0x10000[0-9a-f] before ever entering the guest\.\n$/);
    await expectCleanEnd();
  });

  it('a triple fault in the host', async () => {
    const { stop, output } = await faultStop({ guest: fixture('idle-guest'), host: fixture('triple-fault-host') });
    expect(stop.body.description).toBe('Triple fault: the machine shut down');
    // #UD finds no IDT entry (limit 0): #GP, whose delivery fails too (#DF), then shutdown (SDM vol. 3A 6.15).
    expect(output).toMatch(/^Triple fault in the host at host RIP 0x100001: #UD .*could not be delivered, so the processor shut down\.\n$/);
    await expectCleanEnd();
  });

  it('a failed VM entry, with the SDM error number', async () => {
    const { stop, output } = await faultStop({ guest: fixture('idle-guest'), host: fixture('vmentry-failure-host') });
    expect(stop.body.description).toBe('VM entry failed (error 7)');
    expect(output).toMatch(/^VM entry failed at host RIP 0x1[0-9a-f]+: error 7, .+\.\n$/);
    // The host goes on after VMfailValid and powers off: that host never ran its guest.
    const next = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    expect((await next).body.description).toBe('The host never launched the guest');
    await expectCleanEnd();
  });

  it('a failed VM entry with the filter off is reported in the console and the host goes on', async () => {
    dc = new InProcessDebugClient();
    await dc.start();
    const stopped = dc.waitForEvent('stopped');
    await launchAndConfigure(dc, { guest: fixture('idle-guest'), host: fixture('vmentry-failure-host') }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    expect((await stopped).body.description).toBe('The host never launched the guest');
    const important = dc.events.filter((e) => e.event === 'output' && e.body.category === 'important').map((e) => e.body.output as string);
    expect(important[0]).toMatch(/^VM entry failed at host RIP 0x1[0-9a-f]+: error 7, /);
    expect(important[1]).toMatch(/^The host powered the machine off \(status 2\)/);
  });

  it('an exhausted instruction budget', async () => {
    const { stop, output } = await faultStop({ guest: GUEST_ELF, host: HOST_ELF, maxInstructions: 5000 });
    expect(stop.body.description).toBe('Instruction budget exhausted');
    expect(output).toMatch(/^The instruction budget \(maxInstructions = 5000\) ran out at host RIP 0x[0-9a-f]+\.\n$/);
    await expectCleanEnd();
  });

  it('a triple fault in the guest stops on the triple-fault filter with the guest on top', async () => {
    const { stop } = await faultStop({ guest: fixture('triple-fault-guest'), host: HOST_ELF });
    expect(stop.body).toMatchObject({ reason: 'exception', description: 'Triple fault in the guest at guest RIP 0x100001' });
    const frames = await stack(dc);
    expect(frames[0].name).toMatch(/\[guest\]$/);
    expect(frames[0].instructionPointerReference).toBe('0x100001');
    const ended = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await ended;
    const status = dc.events.find((e) => e.event === 'exited')?.body.exitCode;
    expect(status).not.toBe(0);
    const said = dc.events.filter((e) => e.event === 'output' && e.body.category === 'important').map((e) => e.body.output).join('');
    expect(said).toMatch(new RegExp(`The host powered the machine off with status ${status} at host RIP 0x[0-9a-f]+\\.`));
  });

  it('restarts after a fault and reaches it again', async () => {
    const { stop } = await faultStop({ guest: fixture('idle-guest'), host: fixture('triple-fault-host') });
    expect(stop.body.reason).toBe('exception');
    const again = dc.waitForEvent('stopped');
    await dc.restartRequest({});
    expect((await again).body.description).toBe('Triple fault: the machine shut down');
  });
});
