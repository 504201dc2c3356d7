// Where realkvm/ and the sample live, whether this code runs from its sources (tests) or
// bundled into dist/hcdbg.js, and the one error type of the real-KVM path.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A failure of the real-KVM path, already worded as the one sentence to show. */
export class RealKvmError extends Error {}

export function realkvmDir(): string {
  return existsSync(resolve(__dirname, 'lab', 'fetch.sh')) ? __dirname : resolve(__dirname, '..', 'realkvm');
}

export function sampleDir(): string {
  return resolve(realkvmDir(), '..', 'samples', 'hello-hypercall');
}

/** Whether `dir` is shaped like the sample: a host model whose custom hypercalls are host/hypercalls/*.c. */
export function hasHypercallFolder(dir: string): boolean {
  return existsSync(join(dir, 'host', 'hypercalls'));
}

/**
 * The copy of the sample an ELF was built in (<folder>/build/guest.elf, build/host.elf,
 * build/tests/<name>.elf): the nearest folder above it with host/hypercalls/, if any.
 */
export function sampleFolderOf(elf: string): string | undefined {
  for (let d = dirname(resolve(elf)); d !== dirname(d); d = dirname(d)) {
    if (hasHypercallFolder(d)) return d;
  }
  return undefined;
}
