// The real-KVM path's failures, each one sentence with nothing left running: a missing or
// non-ELF guest, no qemu-system-x86 and no root to install it, a kernel without a known
// hook, a module that does not compile, and the /dev/kvm probe that must not hang.

import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildModule, buildVmm, checkKernelHook } from '../../realkvm/build';
import { ensureLab, labCacheDir } from '../../realkvm/lab';
import { RealKvmError, realkvmDir, sampleDir } from '../../realkvm/paths';
import { buildLabModule, probeNativeKvm } from '../../realkvm/realRun';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist', 'hcdbg.js');
const oneSentence = /^hcdbg: [^\n]+\.\n$/;
const scratch = mkdtempSync(join(tmpdir(), 'hcdbg-realkvm-bad-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function hcdbg(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

async function sentenceOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RealKvmError);
    return (e as Error).message;
  }
  throw new Error('expected a RealKvmError');
}

describe('hcdbg real-kvm and compare refuse bad guests before any lab boot', () => {
  it('names a missing guest file', () => {
    const r = hcdbg('real-kvm', '--guest', join(scratch, 'nope.elf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneSentence);
    expect(r.stderr).toContain('nope.elf: no such file');
  });

  it('names a guest that is not an ELF file', () => {
    const bad = join(scratch, 'notes.txt');
    writeFileSync(bad, 'not an executable\n');
    const r = hcdbg('compare', '--guest', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hcdbg: notes.txt is not an ELF file.\n');
  });

  it('rejects options of the other command', () => {
    const r = hcdbg('compare', '--guest', join(root, 'samples/hello-hypercall/build/guest.elf'), '--trace');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneSentence);
  });
});

/** Whether every folder from `dir` up to / lets anyone through (o+x). */
function enterableByAll(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

describe('the lab', () => {
  it('says which package is missing when qemu-system-x86 is not installed and it is not root', (ctx) => {
    if (!existsSync('/usr/bin/setpriv')) return ctx.skip();
    // The unprivileged user must reach the script; TMPDIR may sit in a folder only root enters.
    const home = mkdtempSync(join(enterableByAll(tmpdir()) ? tmpdir() : '/tmp', 'hcdbg-nobody-'));
    ctx.onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    // A PATH with only what fetch.sh needs before that check: no qemu-system-x86_64.
    const bin = join(home, 'bin'), cache = join(home, 'cache');
    mkdirSync(bin);
    mkdirSync(cache);
    chmodSync(home, 0o777);
    chmodSync(cache, 0o777);
    for (const tool of ['mkdir', 'flock', 'id']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
    const script = join(home, 'fetch.sh');
    cpSync(join(realkvmDir(), 'lab', 'fetch.sh'), script);
    chmodSync(script, 0o755);
    const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/bash', script, cache],
      { encoding: 'utf8', env: { PATH: bin }, timeout: 30_000 });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^The real-KVM lab needs qemu-system-x86_64 from the Debian package qemu-system-x86, which is not installed and installing it needs root \(apt-get install qemu-system-x86\)\.\n$/);
    expect(readdirSync(cache).filter((f) => f !== '.lock')).toEqual([]); // nothing fetched
  });
});

describe('the hypercall module', () => {
  it('refuses a kernel whose kvm_emulate_hypercall it cannot hook, before building anything', async () => {
    expect(() => checkKernelHook('6.1.192')).not.toThrow();
    expect(() => checkKernelHook('6.12.117')).not.toThrow();
    expect(() => checkKernelHook('6.11.5')).toThrow();
    const headers = join(scratch, 'linux-headers-6.18.1-amd64');
    mkdirSync(join(headers, 'include', 'generated', 'uapi', 'linux'), { recursive: true });
    writeFileSync(join(headers, 'include', 'generated', 'uapi', 'linux', 'version.h'),
      '#define LINUX_VERSION_MAJOR 6\n#define LINUX_VERSION_PATCHLEVEL 18\n#define LINUX_VERSION_SUBLEVEL 1\n');
    const cache = join(scratch, 'hookcache');
    const message = await sentenceOf(buildModule(cache, { release: '6.18.1-amd64', buildDir: headers, kernelVersion: '6.18.1' }));
    expect(message).toBe('Linux 6.18.1 has no hook this module knows for kvm_emulate_hypercall (it supports 6.1 and 6.12), so custom hypercalls cannot be added there.');
    expect(existsSync(cache)).toBe(false);
  });

  it('refuses a handler file named like the module\'s own hc_hook.c, before building anything', async () => {
    const sample = join(scratch, 'clash');
    cpSync(sampleDir(), sample, { recursive: true, filter: (src) => !src.includes('/build') });
    const handler = join(sample, 'host', 'hypercalls', 'hc_hook.c');
    writeFileSync(handler, readFileSync(join(sample, 'host', 'hypercalls', 'hello_hypercall.c'), 'utf8'));
    const cache = join(scratch, 'clashcache');
    const message = await sentenceOf(buildModule(cache, { release: '6.1.0-57-amd64', buildDir: join(scratch, 'no-headers'), kernelVersion: '6.1.192' }, sample));
    expect(message).toBe(`${handler} has the name of the hypercall module's own hc_hook file; rename the hypercall.`);
    expect(existsSync(cache)).toBe(false);
  });

  it('reports a handler that does not compile in one sentence naming the error', async (ctx) => {
    let kernel;
    try {
      kernel = await ensureLab(labCacheDir());
    } catch (e) {
      console.log(`module build test skipped: ${(e as Error).message}`);
      return ctx.skip();
    }
    const sample = join(scratch, 'sample');
    cpSync(sampleDir(), sample, { recursive: true, filter: (src) => !src.includes('/build') });
    const handler = join(sample, 'host', 'hypercalls', 'hello_string.c');
    writeFileSync(handler, readFileSync(handler, 'utf8').replace('return n;', 'return n'));
    const cache = join(scratch, 'buildcache');
    const message = await sentenceOf(buildLabModule(cache, kernel, sample));
    expect(message).toMatch(/^Building the hypercall module against Linux 6\.1\.\S+ failed: .*hello_string\.c:\d+:\d+: error: /);
    expect(message.split('\n')).toHaveLength(1);
  }, 600_000);
});

it('probes /dev/kvm with one hypercall and answers within seconds, whatever the machine has', () => {
  const hcvmm = buildVmm(labCacheDir());
  const t0 = Date.now();
  const why = probeNativeKvm(hcvmm);
  expect(Date.now() - t0).toBeLessThan(5000);
  if (why !== undefined) expect(why).toMatch(/^[A-Z/][^\n]*\.$/);
  // On this project's machines there is no usable /dev/kvm, and the answer says so.
  if (!existsSync('/dev/kvm')) expect(why).toBe('This machine has no /dev/kvm.');
});
