// ELFs whose DWARF source paths no longer exist (the build folder was moved or renamed, or the
// ELFs came from another machine): frames and breakpoints use the files next to the ELFs.

import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugInfo } from '../../debug-adapter/symbols';
import { useDebugClient } from './helpers';
import { MARKERS, SAMPLE } from './sample';
import { followHypercallIn } from './sourceStory';
import { runTool } from '../tools';

let scratch: string;
let moved: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'hcdbg-moved-'));
  const built = join(scratch, 'built');
  for (const dir of ['host', 'guest', 'include', 'lib']) cpSync(join(SAMPLE, dir), join(built, dir), { recursive: true });
  // Built the way most builds are, recording absolute paths (the sample's own Makefile maps them away).
  const makefile = readFileSync(join(SAMPLE, 'Makefile'), 'utf8').replace(/ \\\n\s*"-ffile-prefix-map=[^"]*"/, '');
  writeFileSync(join(built, 'Makefile'), makefile);
  runTool('make', ['-s', '-C', built, 'build/host.elf', 'build/guest.elf']);
  expect(DebugInfo.load(join(built, 'build/host.elf')).sourceFiles()).toContain(join(built, MARKERS.hostHello.file));
  moved = join(scratch, 'moved');
  renameSync(built, moved); // the DWARF paths (…/built/host/x86.c) now point nowhere
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const dc = useDebugClient();

describe('sources of a moved build', () => {
  it('shows frames in, and breaks on, the files next to the moved ELFs', async () => {
    expect(existsSync(join(scratch, 'built', MARKERS.hostHello.file))).toBe(false);
    // cwd holds no sources: the files are found from the ELFs' own folder upwards.
    const atVmcall = await followHypercallIn(dc(), { guest: join(moved, 'build/guest.elf'), host: join(moved, 'build/host.elf'), cwd: scratch }, moved);
    expect(existsSync(atVmcall[0].source!.path!)).toBe(true);
  }, 60_000);
});
