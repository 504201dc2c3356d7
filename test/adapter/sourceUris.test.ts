// A client that names files by URI (a browser workbench, where the web entry's file access
// reads the workspace through vscode-remote://... URIs): every file the adapter names (stack
// frames, breakpoints, disassembly locations, hypercall/sourceForAddress) is a URI of that
// file system, and breakpoints the client sets by URI are placed and hit.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { basename } from 'node:path';
import { nodeFileAccess } from '../../debug-adapter/nodeFileAccess';
import { launchAndConfigure, stack, stopAfter, useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF, MARKERS, source } from './sample';

const ROOT = 'vscode-remote://127.0.0.1:8080';
const uriOf = (path: string): string => ROOT + path.split('/').map(encodeURIComponent).join('/');

const dc = useDebugClient({
  fileAccess: {
    ...nodeFileAccess,
    uriOf,
    pathOf: (name) => (name.startsWith(`${ROOT}/`) ? decodeURIComponent(name.slice(ROOT.length)) : undefined),
  },
});

describe('files named by URI', () => {
  it('names every file by its URI and takes breakpoints by URI', async () => {
    const hostHello = uriOf(source(MARKERS.hostHello.file));
    const firstStop = dc().waitForEvent('stopped');
    let set: DebugProtocol.Breakpoint[] = [];
    let fn: DebugProtocol.Breakpoint[] = [];
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, async () => {
      await dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] });
      set = (await dc().setBreakpointsRequest({ source: { path: hostHello }, breakpoints: [{ line: MARKERS.hostHello.line() }] })).body.breakpoints;
      fn = (await dc().setFunctionBreakpointsRequest({ breakpoints: [{ name: 'host:handle_vmcall' }] })).body.breakpoints;
    });
    expect(set[0]).toMatchObject({ verified: true, line: MARKERS.hostHello.line(), source: { path: hostHello, name: basename(MARKERS.hostHello.file) } });
    expect(fn[0]).toMatchObject({ verified: true, source: { path: uriOf(source('host/vmx.c')) } });

    await firstStop;
    let frames = await stack(dc());
    expect(frames[0].source).toEqual({ name: 'kvm_para.h', path: uriOf(source(MARKERS.guestVmcall.file)) });
    // Every frame with a source names it by URI.
    expect(frames.filter((f) => f.source).every((f) => f.source!.path!.startsWith(`${ROOT}/`))).toBe(true);

    const dis = await dc().send('disassemble', { memoryReference: frames[0].instructionPointerReference, instructionCount: 8 }) as DebugProtocol.DisassembleResponse;
    const located = dis.body!.instructions.filter((i) => i.location);
    expect(located.length).toBeGreaterThan(0);
    expect(located.every((i) => i.location!.path!.startsWith(`${ROOT}/`))).toBe(true);
    expect(located[0].location!.path).toBe(uriOf(source(MARKERS.guestVmcall.file)));

    const answer = await dc().customRequest('hypercall/sourceForAddress', { address: frames[0].instructionPointerReference, side: 'guest' });
    expect(answer.body).toEqual({ path: uriOf(source(MARKERS.guestVmcall.file)), line: MARKERS.guestVmcall.line() });

    // The function breakpoint, then the line breakpoint set by URI, are hit.
    await dc().setExceptionBreakpointsRequest({ filters: [] });
    await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect((await stack(dc()))[0].name).toBe('handle_vmcall [host]');
    const hit = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(hit.body.hitBreakpointIds).toEqual([set[0].id]);
    frames = await stack(dc());
    expect(frames[0].source?.path).toBe(hostHello);
    expect(frames[0].line).toBe(MARKERS.hostHello.line());
  }, 60_000);
});
