// The sample through the command line, as `npm start` runs it: `hcdbg run --guest guest.elf
// --trace` with the bundled default host. Also the failure ends the sample host reports
// (guest triple fault, guest access outside RAM, an unhandled exit) with their exit status and message.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildSample, guestElf, root, runSample, testGuest } from './sampleRun';

// A private bundle (parallel test files must not race on dist/), laid out like the package:
// <pkg>/dist/hcdbg.js finds the default host at <pkg>/samples/hello-hypercall/build/host.elf.
const pkg = mkdtempSync(join(tmpdir(), 'hc-sample-'));
const cli = join(pkg, 'dist', 'hcdbg.js');

function hcdbg(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let sample: ReturnType<typeof hcdbg>;

afterAll(() => rmSync(pkg, { recursive: true, force: true }));

beforeAll(async () => {
  buildSample();
  mkdirSync(join(pkg, 'dist'));
  symlinkSync(join(root, 'samples'), join(pkg, 'samples'));
  await build({
    entryPoints: [join(root, 'emulator/cli/hcdbg.ts')], outfile: cli, bundle: true,
    platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning',
  });
  sample = hcdbg('run', '--guest', guestElf, '--trace');
});

describe('hcdbg run with the sample', () => {
  it('prints the guest console, then the trace with the whole hypercall sequence', () => {
    const r = sample;
    expect(r.status).toBe(0);
    const [console, trace] = r.stdout.split(/(?=^# tracer: nop$)/m);
    expect(console).toContain('\nHello World\n');
    expect(console).toContain('user: vmcall at CPL 3 returned -1 (-KVM_EPERM)\n');
    expect(r.stderr).toContain('[host] hc-host: guest halted\n');

    const lines = trace.split('\n');
    expect(lines.slice(0, 3)).toEqual(['# tracer: nop', '#', expect.stringMatching(/^# entries-in-buffer\/entries-written: (\d+)\/\1   #P:1$/)]);
    const hello = lines.findIndex((l) => / kvm_hypercall: nr 0x100 /.test(l));
    const [exit, hypercall, printk, entry] = lines.slice(hello - 1, hello + 3);
    const vmcallRip = BigInt(exit.match(/ kvm_exit: vcpu 0 reason VMCALL rip (0x[0-9a-f]+) /)![1]);
    expect(hypercall).toMatch(/^ +hc-host-1 +\[000\] \.{5} +\d+\.\d{6}: kvm_hypercall: nr 0x100 a0 0x[0-9a-f]+ a1 0x[0-9a-f]+ a2 0x[0-9a-f]+ a3 0x[0-9a-f]+$/);
    expect(printk).toMatch(/^ +hc-host-1 +\[000\] \.{5} +\d+\.\d{6}: kvm_pv_hello_hypercall: Hello World$/);
    expect(entry).toMatch(new RegExp(`^ +hc-host-1 +\\[000\\] d\\.\\.1\\. +\\d+\\.\\d{6}: kvm_entry: vcpu 0, rip 0x${(vmcallRip + 3n).toString(16)}$`));
  });

  it('gives the same trace as the emulator API run', () => {
    const api = runSample(guestElf);
    expect(sample.stdout.slice(sample.stdout.indexOf('# tracer: nop')).split('\n').filter((l) => !l.startsWith('#') && l)).toEqual(api.trace.map((t) => t.text));
  });

  it('reports a guest triple fault with status 2 from the host', () => {
    const r = hcdbg('run', '--guest', testGuest('triple-fault'));
    expect(r.stdout).toBe('guest: about to triple fault\n');
    const rip = r.stderr.match(/\[host\] hc-host: guest triple fault at rip (0x[0-9a-f]+)\n/)![1];
    expect(r.stderr).toMatch(new RegExp(`^hcdbg: The host powered the machine off with status 2; the last VM exit was TRIPLE_FAULT at guest RIP ${rip}\\.$`, 'm'));
    expect(r.status).toBe(1);
  });

  it('reports a guest access outside guest RAM with status 3 from the host', () => {
    const r = hcdbg('run', '--guest', testGuest('mmio'));
    expect(r.stdout).toBe('guest: reading guest-physical 0x2000000\n');
    const rip = r.stderr.match(/\[host\] hc-host: guest read guest-physical 0x2000000, which is not RAM \(rip (0x[0-9a-f]+)\)\n/)![1];
    expect(r.stderr).toMatch(new RegExp(`^hcdbg: The host powered the machine off with status 3; the last VM exit was EPT_VIOLATION at guest RIP ${rip}\\.$`, 'm'));
    expect(r.status).toBe(1);
  });

  it('reports a VM exit it does not handle (INSB) with status 3 from the host', () => {
    const r = hcdbg('run', '--guest', testGuest('unexpected-exit'));
    expect(r.stdout).toBe('guest: insb from COM1\n');
    const rip = r.stderr.match(/\[host\] hc-host: unexpected VM exit 30 \(IO_INSTRUCTION\) at rip (0x[0-9a-f]+), exit qualification 0x3f80018\n/)![1];
    expect(r.stderr).toMatch(new RegExp(`^hcdbg: The host powered the machine off with status 3; the last VM exit was IO_INSTRUCTION at guest RIP ${rip}\\.$`, 'm'));
    expect(r.status).toBe(1);
  });
});
