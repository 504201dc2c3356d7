// Runs differential cases on the real processor: compiles native/runner.c once per source
// version into the OS temp dir, feeds it all cases in one binary file, parses its results.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffCase } from './caseBuilder';
import { WINDOW } from './layout';
import { runTool } from '../tools';

/** Final state of one case on either side. */
export interface CaseResult {
  gpr: bigint[];
  rflags: number;
  /** Offset from the code start of the next instruction, or of the faulting one. */
  ripOffset: number;
  /** Exception vector the case ended with, or -1 when it ran to the end. */
  vector: number;
  /** The exception's error code (SDM 6.13), or -1. */
  errorCode: number;
  window: Uint8Array;
}

const SOURCE = join(__dirname, 'native', 'runner.c');

export function buildRunner(): string {
  const source = readFileSync(SOURCE);
  const dir = join(tmpdir(), `hcdbg-differential-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  const binary = join(dir, 'runner');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    // Built under a private name and renamed, so a concurrent run never executes half a binary.
    const partial = `${binary}.${process.pid}`;
    runTool('gcc', ['-O2', '-Wall', '-o', partial, SOURCE]);
    renameSync(partial, binary);
  }
  return binary;
}

export function encodeCases(cases: readonly DiffCase[]): Uint8Array {
  const size = 4 + cases.reduce((n, c) => n + 4 + c.code.length + 17 * 8 + WINDOW, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint32(at, cases.length, true); at += 4;
  for (const c of cases) {
    view.setUint32(at, c.code.length, true); at += 4;
    out.set(c.code, at); at += c.code.length;
    for (const v of c.gpr) { view.setBigUint64(at, v, true); at += 8; }
    view.setBigUint64(at, BigInt(c.rflags), true); at += 8;
    out.set(c.window, at); at += WINDOW;
  }
  return out;
}

export function runNative(cases: readonly DiffCase[], workDir: string): CaseResult[] {
  const runner = buildRunner();
  const input = join(workDir, 'cases.bin'), output = join(workDir, 'results.bin');
  writeFileSync(input, encodeCases(cases));
  execFileSync(runner, [input, output]);
  const bytes = readFileSync(output);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stride = 20 * 8 + WINDOW;
  if (bytes.length !== stride * cases.length) throw new Error(`native runner wrote ${bytes.length} bytes for ${cases.length} cases`);
  return cases.map((_, i) => {
    const at = i * stride;
    const gpr = Array.from({ length: 16 }, (_, r) => view.getBigUint64(at + 8 * r, true));
    return {
      gpr,
      rflags: Number(view.getBigUint64(at + 128, true)),
      ripOffset: Number(view.getBigUint64(at + 136, true)),
      vector: Number(view.getBigInt64(at + 144, true)),
      errorCode: Number(view.getBigInt64(at + 152, true)),
      window: bytes.subarray(at + 160, at + stride),
    };
  });
}
