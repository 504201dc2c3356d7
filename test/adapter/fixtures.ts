// Builds the small assembly ELFs under fixtures/ (hosts that fault in each documented way,
// guests that halt or triple-fault) with the machine's gcc and ld, once per test run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const source = resolve(__dirname, 'fixtures');
let outDir: string | undefined;

export type Fixture = 'spin-guest' | 'spin-host' | 'poweroff-host' | 'triple-fault-host' | 'vmentry-failure-host' | 'idle-guest' | 'triple-fault-guest';

/** Path of the built ELF for `name` (built on first use). */
export function fixture(name: Fixture): string {
  outDir ??= mkdtempSync(join(tmpdir(), 'hcdbg-adapter-'));
  mkdirSync(outDir, { recursive: true });
  const object = join(outDir, `${name}.o`);
  const elf = join(outDir, `${name}.elf`);
  execFileSync('gcc', ['-c', '-g', '-o', object, join(source, `${name}.S`)]);
  execFileSync('ld', ['--no-warn-rwx-segments', '-T', join(source, 'link.ld'), '-o', elf, object]);
  return elf;
}

/** The folder the fixtures are built into (for writing deliberately bad files beside them). */
export function scratchDir(): string {
  outDir ??= mkdtempSync(join(tmpdir(), 'hcdbg-adapter-'));
  return outDir;
}
