// One build for every target: the C samples (make), then each TypeScript entry with esbuild.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';

execFileSync('make', ['-s', '-C', 'samples/hello-hypercall'], { stdio: 'inherit' });

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
const targets = [
  { ...node, entryPoints: { hcdbg: 'emulator/cli/hcdbg.ts' }, banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { bench: 'test/bench/bench.ts' } },
  { ...node, entryPoints: { debugAdapter: 'debug-adapter/main.ts' } },
];

// The VS Code extension (extension/): desktop entry (Node), web entry (browser worker; Node
// built-ins fail only when called, so the inline adapter uses injected file access), and the
// Trace panel's webview script with its codicons, all under dist/ which the .vsix ships.
const nodeBuiltinsUnavailable = {
  name: 'node-builtins-unavailable',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (a) => ({
      loader: 'js',
      contents: `module.exports = new Proxy({}, { get(_, key) { if (key === '__esModule') return false; throw new Error(${JSON.stringify(`${a.path} is not available in VS Code for the Web.`)}); } });`,
    }));
  },
};
targets.push(
  { ...node, entryPoints: { extension: 'extension/extension.ts' }, external: ['vscode'] },
  { bundle: true, platform: 'browser', target: 'es2022', format: 'cjs', sourcemap: true, logLevel: 'warning',
    entryPoints: { web: 'extension/web.ts' }, external: ['vscode'], plugins: [nodeBuiltinsUnavailable],
    alias: { url: './extension/webShims/url.ts' } }, // `events` resolves to the npm polyfill
);
targets.push({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning',
  entryPoints: { 'webview/webview': 'extension/webview/main.ts', 'webview/realKvm': 'extension/realKvm/webview.ts' } });
mkdirSync('dist/webview/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) cpSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/codicons/${file}`);

const results = await Promise.all(targets.map((t) => build({ ...t, outdir: 'dist' })));
// A warning is a defect that ships (a duplicate key in package.json silently dropped a menu): fail on it.
const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
if (warnings > 0) { console.error(`The build printed ${warnings} warning(s) above: fix them.`); process.exit(1); }
