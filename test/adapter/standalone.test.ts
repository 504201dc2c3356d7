// The standalone adapter (`node dist/debugAdapter.js`): built from debug-adapter/main.ts with
// esbuild into a scratch folder, spawned, and driven over stdin/stdout.

import { DebugClient } from '@vscode/debugadapter-testsupport';
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { scratchDir } from './fixtures';
import { GUEST_ELF, HOST_ELF } from './sample';

let dc: DebugClient;
const entry = join(scratchDir(), 'dist', 'debugAdapter.js');

beforeAll(async () => {
  await build({
    entryPoints: [resolve(__dirname, '../../debug-adapter/main.ts')], outfile: entry,
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent',
  });
});

beforeEach(async () => {
  dc = new DebugClient('node', entry, 'hypercall');
  await dc.start();
});

afterEach(async () => {
  await dc.stop();
});

describe('standalone adapter over stdin/stdout', () => {
  it('initializes with the hypercall filters and refuses a bad launch in one sentence', async () => {
    const init = await dc.initializeRequest({ adapterID: 'hypercall', pathFormat: 'path' });
    expect(init.body?.exceptionBreakpointFilters?.map((f) => f.filter)).toEqual(['vmcall', 'vmexit', 'triple-fault', 'vmentry-failure']);
    expect(init.body?.supportsDisassembleRequest).toBe(true);
    await expect(dc.launchRequest({ guest: 17 } as never)).rejects.toThrow('"guest" must be the path of the guest ELF file as a string, not the number 17.');
  });

  it('runs the sample to the end (emulator and DWARF reader are in the bundle)', async () => {
    await dc.initializeRequest({ adapterID: 'hypercall', pathFormat: 'path' });
    const output: string[] = [];
    dc.on('output', (e) => output.push(e.body.output));
    const initialized = dc.waitForEvent('initialized');
    // The bundle sits in a scratch folder, so the default host is named explicitly here.
    await dc.launchRequest({ guest: GUEST_ELF, host: HOST_ELF } as never);
    await initialized;
    const terminated = dc.waitForEvent('terminated');
    await dc.configurationDoneRequest();
    await terminated;
    expect(output.join('')).toContain('user: hello_hypercall() returned 0');
  });
});
