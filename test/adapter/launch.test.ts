// Launch configuration over DAP: every wrong value is refused with one sentence that names
// the attribute or the file; a good configuration launches.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, scratchDir } from './fixtures';
import { InProcessDebugClient } from './inProcessClient';
import { GUEST_ELF, SAMPLE } from './sample';

let dc: InProcessDebugClient;
let guest: string;
let host: string;

beforeAll(() => {
  guest = fixture('idle-guest');
  host = fixture('spin-host');
});

beforeEach(async () => {
  dc = new InProcessDebugClient({ defaultHost: '/nonexistent/bundled/host.elf' });
  await dc.start();
  await dc.initializeRequest({ adapterID: 'hypercall', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
});

afterEach(async () => {
  await dc.stop();
});

const launch = (args: Record<string, unknown>): Promise<unknown> => dc.launchRequest({ type: 'hypercall', request: 'launch', ...args } as never);

describe('launch configuration', () => {
  it('refuses a configuration without a guest', async () => {
    expect(await dc.failure(launch({ host }))).toBe('The launch configuration has no "guest": set it to the path of the guest ELF to run.');
  });

  it('refuses a guest that is not a string', async () => {
    expect(await dc.failure(launch({ guest: 42, host }))).toBe('"guest" must be the path of the guest ELF file as a string, not the number 42.');
  });

  it('refuses a guest file that does not exist', async () => {
    const missing = join(scratchDir(), 'no-such-guest.elf');
    expect(await dc.failure(launch({ guest: missing, host }))).toBe(`The guest ELF file ${missing} does not exist.`);
  });

  it('refuses a guest that is not an ELF file', async () => {
    const text = join(scratchDir(), 'notes.txt');
    writeFileSync(text, 'hello, I am not an executable\n');
    expect(await dc.failure(launch({ guest: text, host }))).toBe(`The guest file ${text} is not an ELF file.`);
  });

  it('refuses a folder as the guest', async () => {
    const dir = join(scratchDir(), 'a-folder');
    mkdirSync(dir, { recursive: true });
    expect(await dc.failure(launch({ guest: dir, host }))).toBe(`The guest path ${dir} is a folder, not an ELF file.`);
  });

  it('refuses a host file that does not exist, naming it', async () => {
    expect(await dc.failure(launch({ guest, host: '/tmp/definitely-missing-host.elf' }))).toBe('The host ELF file /tmp/definitely-missing-host.elf does not exist.');
  });

  it('falls back to the bundled host and says so when it is missing', async () => {
    expect(await dc.failure(launch({ guest }))).toBe('The host ELF file /nonexistent/bundled/host.elf does not exist.');
  });

  it('refuses an object file (not an executable) as the host', async () => {
    const object = join(scratchDir(), 'spin-host.o');
    expect(await dc.failure(launch({ guest, host: object }))).toMatch(/^The host file .*spin-host\.o is .*not a statically linked executable \(ET_EXEC\)\.$/);
  });

  it('refuses wrong types for the boolean attributes', async () => {
    expect(await dc.failure(launch({ guest, host, stopOnEntry: 'yes' }))).toBe('"stopOnEntry" must be true or false, not the string "yes".');
    expect(await dc.failure(launch({ guest, host, trace: 1 }))).toBe('"trace" must be true or false, not the number 1.');
  });

  it('refuses an unknown hostStepInTarget', async () => {
    expect(await dc.failure(launch({ guest, host, hostStepInTarget: 'handle_vmcall' })))
      .toBe('"hostStepInTarget" must be "kvm_emulate_hypercall" or "vmexit", not the string "handle_vmcall".');
  });

  it('refuses a negative, fractional or non-numeric budget', async () => {
    expect(await dc.failure(launch({ guest, host, maxInstructions: -5 }))).toBe('"maxInstructions" must be a positive whole number of instructions, not -5.');
    expect(await dc.failure(launch({ guest, host, maxInstructions: 2.5 }))).toBe('"maxInstructions" must be a positive whole number of instructions, not 2.5.');
    expect(await dc.failure(launch({ guest, host, maxInstructions: '1000' }))).toBe('"maxInstructions" must be a number of instructions, not the string "1000".');
  });

  it('resolves relative paths against cwd and launches a good configuration', async () => {
    const initialized = dc.waitForEvent('initialized');
    await launch({ guest: 'idle-guest.elf', host, cwd: scratchDir(), stopOnEntry: true });
    await initialized;
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    expect((await stopped).body.reason).toBe('entry');
  });
});

describe('the bundled host', () => {
  it('is used when the configuration names none', async () => {
    const bundled = new InProcessDebugClient();
    await bundled.start();
    try {
      await bundled.initializeRequest({ adapterID: 'hypercall', pathFormat: 'path' });
      const initialized = bundled.waitForEvent('initialized');
      await bundled.launchRequest({ type: 'hypercall', request: 'launch', guest: GUEST_ELF, stopOnEntry: true } as never);
      await initialized;
      const stopped = bundled.waitForEvent('stopped');
      await bundled.configurationDoneRequest();
      await stopped;
      const top = (await bundled.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
      expect(top.name).toBe('_start [host]');
      expect(top.source?.path).toBe(`${SAMPLE}/host/head.S`);
      const modules = (await bundled.modulesRequest({})).body.modules;
      expect(modules.map((m) => [m.id, m.path, m.symbolStatus])).toEqual([
        ['host', `${SAMPLE}/build/host.elf`, 'DWARF loaded'], ['guest', GUEST_ELF, 'DWARF loaded'],
      ]);
    } finally {
      await bundled.stop();
    }
  });
});
