// Where realkvm/ and the sample live, whether this code runs from its sources (tests) or
// bundled into dist/hcdbg.js, and the one error type of the real-KVM path.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** A failure of the real-KVM path, already worded as the one sentence to show. */
export class RealKvmError extends Error {}

export function realkvmDir(): string {
  return existsSync(resolve(__dirname, 'lab', 'fetch.sh')) ? __dirname : resolve(__dirname, '..', 'realkvm');
}

export function sampleDir(): string {
  return resolve(realkvmDir(), '..', 'samples', 'hello-hypercall');
}
