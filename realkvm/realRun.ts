// Guests on real KVM: the user's /dev/kvm when it is a working hardware KVM (probed with one
// hypercall that must answer within a second), otherwise the lab. The hcdbg_hc module, built
// from the guest's host model (opts.sample), goes into the lab's disposable kernel whenever
// that has custom hypercalls; into the user's own kernel only with loadModule, as root,
// without enforced module signing, and it is always unloaded again.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModule, buildVmm, customHypercalls, kernelVersionOf } from './build';
import { execAsync } from './exec';
import { answersFromTrace } from './compare';
import { parseTrace } from './ftraceText';
import { ensureLab, LAB_SERIES, LAB_STAGE_PREFIX, labCacheDir, labFetched, runLab, type LabKernel, type LabSeries, type StepResult } from './lab';
import type { GuestRun } from './modelRun';
import { RealKvmError } from './paths';

export interface RealGuest { name: string; elf: string }
export interface RealRunOptions {
  loadModule?: boolean;
  lab?: boolean;
  /** Which Debian kernel the lab boots (default 6.1). */
  labKernel?: LabSeries;
  timeoutMs?: number;
  /** The folder whose host/hypercalls/*.c the module is built from: the guest's host model (default: the shipped sample). */
  sample?: string;
}
export interface RealRuns {
  where: 'native' | 'lab';
  /** The release of the kernel whose KVM ran the guests (uname -r there). */
  kernel: string;
  runs: Map<string, GuestRun>;
  notes: string[];
  dmesg?: string;
  wallMs: number;
}

/** Why the native /dev/kvm cannot be used (one sentence), or undefined when it answers. */
export function probeNativeKvm(hcvmm: string): string | undefined {
  if (!existsSync('/dev/kvm')) return 'This machine has no /dev/kvm.';
  const r = spawnSync(hcvmm, ['--probe'], { encoding: 'utf8', timeout: 3000, killSignal: 'SIGKILL' });
  if (r.status === 0) return undefined;
  if (r.error) return 'The /dev/kvm probe guest did not finish within 3 s.';
  return r.stderr.trim().split('\n').pop()?.replace(/^hcvmm: /, '') || `The /dev/kvm probe failed with status ${r.status}.`;
}

/** A lab or native hcvmm run as a GuestRun; answers come from the module's trace lines. */
export function guestRun(r: StepResult | undefined, withAnswers: boolean): GuestRun {
  if (!r || r.status === undefined) return { console: '', trace: '', status: -1, ending: 'hcvmm did not run' };
  const ending = r.stderr.trim().split('\n').filter((l) => l.startsWith('hcvmm: ')).pop()?.slice(7) ?? `hcvmm exited with status ${r.status}`;
  const trace = r.trace ?? '';
  return { console: r.stdout, trace, status: r.status, ending, answers: withAnswers ? answersFromTrace(parseTrace(trace)) : undefined };
}

function nativeModuleRefusal(): string | undefined {
  if (process.getuid?.() !== 0) return 'Loading the hypercall module into this machine\'s kernel needs root.';
  const sig = '/sys/module/module/parameters/sig_enforce';
  if (existsSync(sig) && readFileSync(sig, 'utf8').trim() === 'Y') return 'This kernel enforces module signatures (Secure Boot), so it would refuse the unsigned hypercall module.';
  return undefined;
}

async function runNative(hcvmm: string, guests: readonly RealGuest[], opts: RealRunOptions, cache: string): Promise<RealRuns> {
  const notes: string[] = [];
  let ko: string | undefined;
  const release = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  if (opts.loadModule) {
    const refusal = nativeModuleRefusal();
    if (refusal) throw new RealKvmError(refusal);
    const buildDir = `/lib/modules/${release}/build`;
    if (!existsSync(buildDir)) throw new RealKvmError(`There are no kernel headers for ${release} (${buildDir}); install linux-headers-${release}.`);
    ko = await buildModule(cache, { release, buildDir, kernelVersion: kernelVersionOf(buildDir, release) }, opts.sample);
  } else if (customHypercalls(opts.sample).length) {
    notes.push('custom hypercalls answer -KVM_ENOSYS here: this kernel runs without the hcdbg_hc module (--load-module adds it)');
  }
  const work = mkdtempSync(join(tmpdir(), 'hcdbg-native-'));
  const unload = () => { if (ko) spawnSync('rmmod', ['hcdbg_hc']); };
  const onSignal = () => { unload(); process.exit(130); };
  const started = Date.now();
  try {
    if (ko) {
      process.once('SIGINT', onSignal);
      const r = spawnSync('insmod', [ko], { encoding: 'utf8' });
      if (r.status !== 0) throw new RealKvmError(`insmod of the hypercall module failed: ${r.stderr.trim() || r.status}.`);
    }
    const runs = new Map<string, GuestRun>();
    for (const g of guests) {
      const traceFile = join(work, `${g.name}.trace`);
      const canTrace = process.getuid?.() === 0;
      const r = await execAsync(hcvmm, ['--timeout-ms', String(opts.timeoutMs ?? 20000), ...(canTrace ? ['--trace', traceFile] : []), g.elf],
        (opts.timeoutMs ?? 20000) + 5000);
      runs.set(g.name, guestRun({ status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, trace: existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : undefined }, !!ko));
      if (!canTrace) notes.push('the kernel trace needs root (tracefs), so this run has none');
    }
    return { where: 'native', kernel: release, runs, notes, wallMs: Date.now() - started };
  } finally {
    unload();
    process.removeListener('SIGINT', onSignal);
    rmSync(work, { recursive: true, force: true });
  }
}

export function buildLabModule(cache: string, kernel: LabKernel, sample?: string, building?: () => void): Promise<string> {
  const headers = { release: kernel.version, buildDir: kernel.headers, topMakefile: join(kernel.headersCommon, 'Makefile'), kernelVersion: kernelVersionOf(kernel.headers, kernel.version) };
  return buildModule(cache, headers, sample, building);
}

/** A line per lab stage on stderr, for the terminal and for Run on Real KVM's progress. */
const labStage = (what: string) => process.stderr.write(`${LAB_STAGE_PREFIX}${what}\n`);

export async function runOnRealKvm(guests: readonly RealGuest[], opts: RealRunOptions = {}): Promise<RealRuns> {
  const cache = labCacheDir();
  const hcvmm = buildVmm(cache);
  if (!opts.lab) {
    const why = probeNativeKvm(hcvmm);
    if (!why) return runNative(hcvmm, guests, opts, cache);
    process.stderr.write(`hcdbg: ${why.replace(/\.$/, '')}; using the real-KVM lab (Debian's kernel and kvm-amd in qemu, cached in ${cache}).\n`);
  }
  const series = opts.labKernel ?? LAB_SERIES[0];
  if (!labFetched(cache, series)) labStage(`fetching Debian's Linux ${series} kernel, modules and headers (first use)`);
  const kernel = await ensureLab(cache, series);
  const withModule = customHypercalls(opts.sample).length > 0;
  const ko = withModule ? await buildLabModule(cache, kernel, opts.sample, () => labStage(`building the hypercall module for Linux ${kernel.version}`)) : undefined;
  labStage(`booting Linux ${kernel.version} in qemu, running the guest`);
  const lab = await runLab(kernel, hcvmm, guests.map((g) => ({ kind: 'guest', name: g.name, elf: g.elf, trace: true, module: withModule, timeoutMs: opts.timeoutMs })), ko);
  const runs = new Map(guests.map((g) => [g.name, guestRun(lab.steps.get(g.name), withModule)]));
  return { where: 'lab', kernel: kernel.version, runs, notes: [], dmesg: lab.dmesg, wallMs: lab.wallMs };
}
