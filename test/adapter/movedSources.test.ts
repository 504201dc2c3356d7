// ELFs whose DWARF source paths no longer exist (the build folder was moved or renamed, or the
// ELFs came from another machine): frames and breakpoints use the files next to the ELFs.

import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchAndConfigure, stack, stopAfter, useDebugClient } from './helpers';
import { MARKERS, SAMPLE } from './sample';
import { runTool } from '../tools';

let scratch: string;
let moved: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'hcdbg-moved-'));
  const built = join(scratch, 'built');
  for (const dir of ['host', 'guest', 'include', 'lib']) cpSync(join(SAMPLE, dir), join(built, dir), { recursive: true });
  cpSync(join(SAMPLE, 'Makefile'), join(built, 'Makefile'));
  runTool('make', ['-s', '-C', built, 'build/host.elf', 'build/guest.elf']);
  moved = join(scratch, 'moved');
  renameSync(built, moved); // the DWARF paths (…/built/host/x86.c) now point nowhere
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const dc = useDebugClient();

describe('sources of a moved build', () => {
  it('shows frames in, and breaks on, the files next to the moved ELFs', async () => {
    const hostX86 = join(moved, MARKERS.hostHello.file);
    expect(existsSync(join(scratch, 'built', MARKERS.hostHello.file))).toBe(false);
    const firstStop = dc().waitForEvent('stopped');
    let verified: { verified: boolean; source?: { path?: string } } | undefined;
    // cwd holds no sources: the files are found from the ELFs' own folder upwards.
    await launchAndConfigure(dc(), { guest: join(moved, 'build/guest.elf'), host: join(moved, 'build/host.elf'), cwd: scratch }, async () => {
      await dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] });
      const set = await dc().setBreakpointsRequest({ source: { path: hostX86 }, breakpoints: [{ line: MARKERS.hostHello.line() }] });
      verified = set.body.breakpoints[0];
    });
    expect(verified?.verified).toBe(true);
    expect(verified?.source?.path).toBe(hostX86);

    await firstStop;
    let frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_hypercall0 [guest]');
    expect(frames[0].source?.path).toBe(join(moved, MARKERS.guestVmcall.file));
    expect(existsSync(frames[0].source!.path!)).toBe(true);

    await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    frames = await stack(dc());
    expect(frames[0].name).toBe('kvm_emulate_hypercall [host]');
    expect(frames[0].source?.path).toBe(hostX86);

    await dc().setExceptionBreakpointsRequest({ filters: [] });
    const hit = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(hit.body.reason).toBe('breakpoint');
    frames = await stack(dc());
    expect(frames[0].source?.path).toBe(hostX86);
    expect(frames[0].line).toBe(MARKERS.hostHello.line());
  }, 60_000);
});
