// The opened folder wins over the checkout: a copy of the sample (what "Open Sample" and the
// installed .vsix give a user) launched while the checkout that built the ELFs is still on
// disk stops in the copy's files and hits breakpoints set there. The shipped ELFs name no
// build machine's folder at all (-ffile-prefix-map in the sample's Makefile).

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileAccess } from '../../debug-adapter/nodeFileAccess';
import { resolveSourcePaths } from '../../debug-adapter/sourcePaths';
import { DebugInfo } from '../../debug-adapter/symbols';
import { useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF, SAMPLE } from './sample';
import { followHypercallIn } from './sourceStory';

let copy: string;

beforeAll(() => {
  copy = join(mkdtempSync(join(tmpdir(), 'hcdbg-workspace-')), 'hello-hypercall');
  for (const dir of ['host', 'guest', 'include', 'lib']) cpSync(join(SAMPLE, dir), join(copy, dir), { recursive: true });
  cpSync(GUEST_ELF, join(copy, 'build', 'guest.elf'));
});

afterAll(() => rmSync(join(copy, '..'), { recursive: true, force: true }));

const dc = useDebugClient();

describe('sources of the opened folder', () => {
  it('the sample ELFs name their sources relative to the sample folder, not where they were built', () => {
    for (const elf of [HOST_ELF, GUEST_ELF]) {
      const files = DebugInfo.load(elf).sourceFiles();
      expect(files.length).toBeGreaterThan(5);
      expect(files.filter((f) => f.startsWith('/'))).toEqual([]);
      expect(files).toContain(elf === HOST_ELF ? './host/x86.c' : './guest/user.c');
      expect(readFileSync(elf).includes(Buffer.from(SAMPLE))).toBe(false);
    }
  });

  it('stops in, and breaks on, the copy\'s files while the checkout still exists', async () => {
    // As the extension launches it: cwd and guest from the opened folder; the host here is the
    // checkout's own build, as the extension's shipped host is when the folder has none.
    const atVmcall = await followHypercallIn(dc(), { guest: join(copy, 'build/guest.elf'), host: HOST_ELF, cwd: copy }, copy);
    // No frame names a file of the checkout.
    expect(atVmcall.filter((f) => f.source?.path?.startsWith(SAMPLE))).toEqual([]);
  }, 60_000);
});

describe('recorded paths that exist (a build without -ffile-prefix-map)', () => {
  it('map onto the launch folder when it has the file under the same folder name, and stay otherwise', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'hcdbg-recorded-'));
    const file = (path: string) => { mkdirSync(join(path, '..'), { recursive: true }); writeFileSync(path, '\n'); return path; };
    const built = file(join(scratch, 'checkout/host/x86.c'));
    const header = file(join(scratch, 'toolchain/include/stdint.h'));
    const workspace = join(scratch, 'workspace');
    const ours = file(join(workspace, 'host/x86.c'));
    file(join(workspace, 'stdint.h')); // same name, another folder: not the toolchain's header
    const missing = join(scratch, 'gone/lib/string.c');
    const theirs = file(join(workspace, 'lib/string.c'));
    try {
      const paths = await resolveSourcePaths([built, header, missing], workspace, join(scratch, 'elsewhere/build/host.elf'), nodeFileAccess);
      expect([built, header, missing].map((p) => paths.toClient(p))).toEqual([ours, header, theirs]);
      expect(paths.toDwarf(ours)).toBe(built);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
