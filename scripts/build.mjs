// One build for every target: the C samples (make), then each TypeScript entry with esbuild.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';

execFileSync('make', ['-s', '-C', 'samples/hello-hypercall'], { stdio: 'inherit' });

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
const targets = [
  { ...node, entryPoints: { hcdbg: 'emulator/cli/hcdbg.ts' }, banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { bench: 'test/bench/bench.ts' } },
];
await Promise.all(targets.map((t) => build({ ...t, outdir: 'dist' })));
