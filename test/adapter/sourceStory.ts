// The sample's hypercall followed through the sources of one folder, for the tests where the
// ELFs and their recorded paths disagree about where the sources are: stop on the guest's
// vmcall, step into the host, continue to a breakpoint on the Hello World handler's line, and
// check that every stop and the breakpoint name the files of `folder`.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { launchAndConfigure, stack, stopAfter } from './helpers';
import type { InProcessDebugClient } from './inProcessClient';
import { MARKERS } from './sample';

/** Runs the story; returns the stack at the vmcall stop for the caller's own checks. */
export async function followHypercallIn(dc: InProcessDebugClient, launch: Record<string, unknown>, folder: string): Promise<DebugProtocol.StackFrame[]> {
  const hostX86 = join(folder, 'host/x86.c');
  const hostHello = join(folder, MARKERS.hostHello.file);
  const firstStop = dc.waitForEvent('stopped');
  let verified: DebugProtocol.Breakpoint | undefined;
  await launchAndConfigure(dc, launch, async () => {
    await dc.setExceptionBreakpointsRequest({ filters: ['vmcall'] });
    verified = (await dc.setBreakpointsRequest({ source: { path: hostHello }, breakpoints: [{ line: MARKERS.hostHello.line() }] })).body.breakpoints[0];
  });
  expect(verified?.verified).toBe(true);
  expect(verified?.source?.path).toBe(hostHello);

  await firstStop;
  const atVmcall = await stack(dc);
  expect(atVmcall[0].name).toBe('kvm_hypercall0 [guest]');
  expect(atVmcall[0].source?.path).toBe(join(folder, MARKERS.guestVmcall.file));

  await stopAfter(dc, () => dc.stepInRequest({ threadId: 1 }));
  let frames = await stack(dc);
  expect(frames[0].name).toBe('kvm_emulate_hypercall [host]');
  expect(frames[0].source?.path).toBe(hostX86);

  await dc.setExceptionBreakpointsRequest({ filters: [] });
  const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
  expect(hit.body.reason).toBe('breakpoint');
  frames = await stack(dc);
  expect(frames[0].source?.path).toBe(hostHello);
  expect(frames[0].line).toBe(MARKERS.hostHello.line());
  return atVmcall;
}
