// hcdbg end to end: spawn `node dist/hcdbg.js` on gcc-built hosts and guests and check exit
// status, stdout (guest console, trace) and the one sentence on stderr for each failure.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileElf, tempDir } from './fixtures/compile';
import { bundleHcdbg, root, runHcdbg } from './fixtures/hcdbg';
import * as P from './fixtures/programs';

const cli = join(root, 'dist', 'hcdbg.js');
const dir = tempDir();
const guest = compileElf(dir, 'guest.elf', P.GUEST_IDLE);
const hosts: Record<string, string> = {};

const hcdbg = (...args: string[]) => runHcdbg(cli, args, dir);
/** The single "hcdbg: <sentence>" line a failure prints. */
const oneSentence = /^hcdbg: [^\n]+\.\n$/;

/** Newest modification time of the emulator sources the CLI bundles. */
function newestSource(dirPath = join(root, 'emulator')): number {
  return Math.max(...readdirSync(dirPath, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newestSource(join(dirPath, e.name)) : statSync(join(dirPath, e.name)).mtimeMs));
}

beforeAll(async () => {
  // `npm test` builds first; rebuild here only when the bundle is missing or older than the
  // sources, so a concurrent test never reads a half-written dist/hcdbg.js in CI.
  if (!existsSync(cli) || statSync(cli).mtimeMs < newestSource()) await bundleHcdbg(cli);
  for (const [name, src] of Object.entries({ compute: P.HOST_COMPUTE, trace: P.HOST_TRACE, exit3: P.HOST_EXIT_3, triple: P.HOST_TRIPLE, spin: P.HOST_SPIN, badlaunch: P.HOST_BAD_VMLAUNCH, halt: P.HOST_HALT })) {
    hosts[name] = compileElf(dir, `${name}.elf`, src);
  }
});

describe('hcdbg', () => {
  it('prints help with --help and exits 0', () => {
    const r = hcdbg('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: hcdbg run --guest <elf> \[--host <elf>\] \[--trace\] \[--trace-file <path>\] \[--trace-format ftrace\|chrome\] \[--max-instructions <n>\]/);
  });

  it('runs to a clean power-off: guest console on stdout, host console on stderr', () => {
    const r = hcdbg('run', '--guest', guest, '--host', hosts.compute);
    expect(r.stdout).toBe('guest says hi\n');
    expect(r.stderr).toBe('[host] host up\n');
    expect(r.status).toBe(0);
  });

  it('prints the ftrace text after the run with --trace, or writes it with --trace-file', () => {
    const r = hcdbg('run', '--guest', guest, '--host', hosts.trace, '--trace');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('# tracer: nop');
    expect(lines[2]).toBe('# entries-in-buffer/entries-written: 4/4   #P:1');
    expect(lines.slice(12, 16).map((l) => l.replace(/^.*?: /, ''))).toEqual([
      'kvm_exit: vcpu 0 reason VMCALL rip 0x100123 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      'kvm_hypercall: nr 0x64 a0 0x1 a1 0x2 a2 0x3 a3 0x4',
      'kvm_emulate_hypercall: Hello World',
      'kvm_entry: vcpu 0, rip 0x100126',
    ]);
    const file = join(dir, 'out.trace');
    const f = hcdbg('run', '--guest', guest, '--host', hosts.trace, '--trace-file', file);
    expect(f.status).toBe(0);
    expect(f.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(r.stdout);
  });

  it('refuses a trace file it cannot write before running the guest', () => {
    const r = hcdbg('run', '--guest', guest, '--host', hosts.compute, '--trace-file', join(dir, 'no/such/dir/t.trace'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`hcdbg: Cannot write the trace file ${join(dir, 'no/such/dir/t.trace')}: no such directory.\n`);
    const d = hcdbg('run', '--guest', guest, '--host', hosts.compute, '--trace-file', dir);
    expect(d.status).toBe(2);
    expect(d.stderr).toBe(`hcdbg: Cannot write the trace file ${dir}: it is a directory.\n`);
  });

  describe('fails with one sentence', () => {
    const cases: [string, () => string[], number, RegExp][] = [
      ['no arguments', () => [], 2, /^Usage:/],
      ['unknown command', () => ['go'], 2, /^hcdbg: Unknown command "go"/],
      ['missing --guest', () => ['run'], 2, /^hcdbg: hcdbg run needs --guest <elf>/],
      ['unknown option', () => ['run', '--guest', guest, '--fast'], 2, /^hcdbg: Unknown option "--fast"/],
      ['option without value', () => ['run', '--guest'], 2, /^hcdbg: The option --guest needs a value\./],
      ['bad budget', () => ['run', '--guest', guest, '--max-instructions', '1e3'], 2, /^hcdbg: --max-instructions needs a positive whole number, not "1e3"\./],
      ['missing guest file', () => ['run', '--guest', 'nope.elf', '--host', hosts.compute], 2, /^hcdbg: Cannot read the guest ELF nope\.elf: no such file\./],
      ['guest that is not ELF', () => ['run', '--guest', writeText('notes.txt', 'hello'), '--host', hosts.compute], 2, /^hcdbg: notes\.txt is not an ELF file\./],
      ['truncated host', () => ['run', '--guest', guest, '--host', truncated(hosts.compute)], 2, /^hcdbg: short-host\.elf is truncated: /],
      ['unwritable trace file', () => ['run', '--guest', guest, '--host', hosts.compute, '--trace-file', join(dir, 'no/such/dir/t.trace')], 2, /^hcdbg: Cannot write the trace file .*t\.trace: no such directory\./],
      ['guest path is a directory', () => ['run', '--guest', dir, '--host', hosts.compute], 2, /^hcdbg: Cannot read the guest ELF .*: it is a directory\./],
      ['non-zero exit status', () => ['run', '--guest', guest, '--host', hosts.exit3], 1, /^hcdbg: The host powered the machine off with status 3\./],
      ['triple fault', () => ['run', '--guest', guest, '--host', hosts.triple], 1, /^hcdbg: Triple fault at RIP 0x[0-9a-f]+: #UD/],
      ['failed VM entry', () => ['run', '--guest', guest, '--host', hosts.badlaunch], 1, /^hcdbg: VMLAUNCH\/VMRESUME failed with VM-instruction error 7: VM entry with invalid control field\(s\)/],
      ['halt without power-off', () => ['run', '--guest', guest, '--host', hosts.halt], 1, /^hcdbg: The machine halted at host RIP 0x[0-9a-f]+ with nothing to wake it/],
      ['exhausted budget', () => ['run', '--guest', guest, '--host', hosts.spin, '--max-instructions', '1000'], 1, /^hcdbg: The instruction budget of 1000 instructions ran out at host RIP 0x[0-9a-f]+/],
    ];
    it.each(cases)('%s', (_name, args, status, message) => {
      const r = hcdbg(...args());
      expect(r.status).toBe(status);
      if (message.source.startsWith('^Usage')) { expect(r.stdout).toMatch(message); return; }
      const own = r.stderr.replace(/^\[host\] .*\n/gm, '');
      expect(own).toMatch(message);
      expect(own).toMatch(oneSentence);
    });
  });

  it('defaults --host to the bundled sample host next to dist/', () => {
    const sampleHost = join(root, 'samples/hello-hypercall/build/host.elf');
    const r = hcdbg('run', '--guest', guest, '--max-instructions', '10');
    if (existsSync(sampleHost)) expect(r.stderr).not.toMatch(/Cannot read the host ELF/);
    else expect(r.stderr).toBe(`hcdbg: Cannot read the host ELF ${sampleHost}: no such file.\n`);
  });
});

function writeText(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function truncated(path: string): string {
  const bytes = readFileSync(path);
  const p = join(dir, 'short-host.elf');
  writeFileSync(p, bytes.subarray(0, 200));
  return p;
}
