// A hypercall added by "Create a New Custom Hypercall" to a copy of the sample, on real KVM:
// `hcdbg compare` on that copy's guest, given nothing but the guest, builds the hypercall
// module from the copy's host/hypercalls/ (the shipped sample has no such hypercall) and
// runs the copy's host on the model; both answer the new number and agree on everything. The
// lab boots trixie's 6.12 here (--lab-kernel), where the module is built by this machine's gcc
// for a kernel built by gcc 14 (test/realkvm/lab.test.ts runs the sample on both kernels).

import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAB_STAGE_PREFIX } from '../../realkvm/lab';
import { sampleWithNewHypercall, type SampleCopy } from '../sample/newHypercall';
import { buildSample } from '../sample/sampleRun';

const cli = resolve(__dirname, '../../dist/hcdbg.js');
let copy: SampleCopy | undefined;
afterAll(() => { if (copy) rmSync(copy.dir, { recursive: true, force: true }); });

function hcdbg(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args]);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** hcdbg's exit status when no real KVM could be had (realkvm/cli.ts). */
const NO_REAL_KVM = 3;

it('refuses a --sample folder that is not a copy of the sample, in one sentence', () => {
  buildSample();
  const guest = resolve(__dirname, '../../samples/hello-hypercall/build/guest.elf');
  const r = spawnSync(process.execPath, [cli, 'compare', '--guest', guest, '--sample', __dirname], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`hcdbg: ${__dirname} has no host/hypercalls/ folder, so it is not a copy of the hello-hypercall sample.\n`);
});

it('refuses a lab kernel it does not know, in one sentence', () => {
  buildSample();
  const guest = resolve(__dirname, '../../samples/hello-hypercall/build/guest.elf');
  const r = spawnSync(process.execPath, [cli, 'real-kvm', '--guest', guest, '--lab-kernel', '6.8'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe('hcdbg: The lab boots Linux 6.1 or 6.12, not "6.8".\n');
});

it('runs the new hypercall through the module built from the guest\'s own folder, agreeing with the model', async (ctx) => {
  copy = sampleWithNewHypercall('ping');
  const { dir, plan } = copy;
  const r = await hcdbg(['compare', '--guest', join(dir, 'build/guest.elf'), '--lab', '--lab-kernel', '6.12', '--json']);
  if (r.status === NO_REAL_KVM) {
    console.log(`real-KVM new hypercall test skipped: ${r.stderr.trim().split('\n').pop()}`);
    return ctx.skip();
  }
  const said = r.stderr.split('\n').filter((l) => l.startsWith('hcdbg: '));
  expect(said.filter((l) => !/using the real-KVM lab/.test(l) && !l.startsWith(LAB_STAGE_PREFIX))).toEqual([]);
  // The lab's stages in order; fetching and building only where the cache lacked them.
  const stages = said.filter((l) => l.startsWith(LAB_STAGE_PREFIX)).map((l) => l.slice(LAB_STAGE_PREFIX.length));
  expect(stages.at(-1)).toMatch(/^booting Linux 6\.12\.\S+ in qemu, running the guest$/);
  const order = [/^fetching Debian's Linux 6\.12 kernel, modules and headers \(first use\)$/, /^building the hypercall module for Linux 6\.12\.\S+$/];
  const ranks = stages.slice(0, -1).map((s) => order.findIndex((re) => re.test(s)));
  expect(ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1]))).toBe(true);
  const result = JSON.parse(r.stdout) as {
    kernel: string; agree: boolean; aspects: { name: string; agree: boolean; summary: string; diff?: string }[];
    model: { trace: string }; real: { trace: string; console: string };
  };
  for (const a of result.aspects) expect({ aspect: a.name, diff: a.diff }).toEqual({ aspect: a.name, diff: undefined });
  expect(result.agree).toBe(true);
  expect(r.status).toBe(0);
  expect(result.kernel).toMatch(/^6\.12\.\d+.*-amd64$/);
  // The handler's trace_printk on both sides: the model ran the copy's host, the kernel the copy's module.
  expect(result.model.trace).toMatch(/: kvm_pv_ping: ping$/m);
  expect(result.real.trace).toMatch(/: kvm_pv_ping: ping$/m);
  expect(result.real.trace).toContain(`kvm_hypercall: nr 0x${plan.number.toString(16)} `);
  // Every answer was compared (the module traces them), the new number's 0 among them.
  expect(result.aspects.find((a) => a.name === 'hypercalls')?.summary).toMatch(/^[1-9]\d* hypercalls/);
}, 900_000);
