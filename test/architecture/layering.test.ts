// The architecture rule of docs/architecture.md, checked on every import:
// the emulator knows nothing of VS Code or DAP, the adapter knows nothing of VS Code or webviews
// and reaches the emulator only through emulator/api.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]);
}

function violations(layer: string, forbidden: (spec: string, resolved: string) => boolean): string[] {
  const dir = join(root, layer);
  return sources(dir).flatMap((file) =>
    importsOf(file)
      .filter((spec) => forbidden(spec, spec.startsWith('.') ? relative(root, resolve(file, '..', spec)) : spec))
      .map((spec) => `${relative(root, file)} imports ${spec}`));
}

describe('layering', () => {
  it('emulator/ imports neither VS Code, DAP, the adapter nor the extension', () => {
    expect(violations('emulator', (spec, path) =>
      spec === 'vscode' || spec.startsWith('@vscode/') ||
      path.startsWith('debug-adapter') || path.startsWith('extension'))).toEqual([]);
  });

  it('debug-adapter/ reaches the emulator only through emulator/api.ts', () => {
    expect(violations('debug-adapter', (_spec, path) => path.startsWith('emulator') && path !== 'emulator/api')).toEqual([]);
  });

  // esbuild wraps a module that import() loads, and every module it imports, in a lazy
  // initializer: their module-level constants become variables that V8 cannot fold, and the VM
  // transitions ran ~10 % slower in the bundles (docs/performance.md, tenth session).
  it('no emulator module is loaded with import()', () => {
    const dynamic = ['emulator', 'debug-adapter', 'extension'].flatMap((layer) => sources(join(root, layer)).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)]
        .map((m) => relative(root, resolve(file, '..', m[1])))
        .filter((path) => path.startsWith('emulator'))
        .map((path) => `${relative(root, file)} loads ${path}`)));
    expect(dynamic).toEqual([]);
  });

  it('debug-adapter/ imports neither VS Code nor the extension', () => {
    expect(violations('debug-adapter', (spec, path) => spec === 'vscode' || path.startsWith('extension'))).toEqual([]);
  });
});
