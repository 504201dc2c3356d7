// FileAccess on Node's fs, for the standalone adapter and the desktop extension.

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { FileAccess } from './fileAccess';

export const nodeFileAccess: FileAccess = {
  async kind(path) {
    try {
      return (await stat(path)).isDirectory() ? 'directory' : 'file';
    } catch {
      return 'missing';
    }
  },
  async readFile(path) {
    return new Uint8Array(await readFile(path));
  },
  resolve: (base, path) => (isAbsolute(path) ? path : resolve(base, path)),
  cwd: () => process.cwd(),
};
