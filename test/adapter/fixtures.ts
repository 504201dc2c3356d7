// Builds the small assembly ELFs under fixtures/ (hosts that fault in each documented way,
// guests that halt, spin or triple-fault) with the machine's gcc and ld, into a scratch folder.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTool } from '../tools';

const source = resolve(__dirname, 'fixtures');
let outDir: string | undefined;

export type Fixture = 'spin-guest' | 'spin-host' | 'poweroff-host' | 'triple-fault-host' | 'vmentry-failure-host' | 'idle-guest' | 'triple-fault-guest';

// Imported at collection time, so this is a file-level hook of each test file that builds fixtures.
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  outDir = undefined;
});

/** The folder the fixtures are built into (also for deliberately bad files); removed after the test file. */
export function scratchDir(): string {
  outDir ??= mkdtempSync(join(tmpdir(), 'hcdbg-adapter-'));
  return outDir;
}

/** Path of the built ELF for `name` (built on each call: a few milliseconds). */
export function fixture(name: Fixture): string {
  const object = join(scratchDir(), `${name}.o`);
  const elf = join(scratchDir(), `${name}.elf`);
  runTool('gcc', ['-c', '-g', '-o', object, join(source, `${name}.S`)]);
  runTool('ld', ['--no-warn-rwx-segments', '-T', join(source, 'link.ld'), '-o', elf, object]);
  return elf;
}
