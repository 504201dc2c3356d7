// The external programs the tests run (README "Requirements": gcc, make, binutils, gdb), each
// with the Debian package that provides it. A missing one fails its test with one sentence
// naming the package instead of a spawn ENOENT and its stack trace.

import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const PACKAGE = {
  gcc: 'gcc', make: 'make', gdb: 'gdb', flock: 'util-linux', awk: 'mawk',
  as: 'binutils', ld: 'binutils', objcopy: 'binutils', objdump: 'binutils', readelf: 'binutils', nm: 'binutils', strip: 'binutils',
} as const;
export type Tool = keyof typeof PACKAGE;

/** The samples' Makefiles call gcc (which calls as and ld); gcc needs binutils too. */
const NEEDS: Partial<Record<Tool, Tool[]>> = { make: ['gcc', 'as', 'ld'], gcc: ['as', 'ld'] };

/** Thrown for a missing tool: one sentence, which is also its stack, so vitest prints nothing else. */
export class MissingTool extends Error {
  constructor(sentence: string) {
    super(sentence);
    this.name = 'MissingTool';
    this.stack = `${this.name}: ${sentence}`;
  }
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    const file = join(dir || '.', tool);
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

const checked = new Set<Tool>();

/** Throws MissingTool unless `tool` and the tools it runs are installed. */
export function requireTool(tool: Tool): void {
  for (const t of [tool, ...(NEEDS[tool] ?? [])]) {
    if (checked.has(t)) continue;
    if (!onPath(t)) throw new MissingTool(`The tests need \`${t}\`, which is not on PATH: install the Debian package ${PACKAGE[t]} (apt-get install ${PACKAGE[t]}).`);
    checked.add(t);
  }
}

/** execFileSync of an external tool, checked first with requireTool. */
export function runTool(tool: Tool, args: readonly string[], options?: ExecFileSyncOptions & { encoding: BufferEncoding }): string;
export function runTool(tool: Tool, args: readonly string[], options?: ExecFileSyncOptions): Buffer;
export function runTool(tool: Tool, args: readonly string[], options: ExecFileSyncOptions = {}): string | Buffer {
  requireTool(tool);
  return execFileSync(tool, args, options);
}
