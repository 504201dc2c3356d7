// The real-KVM lab: Debian's kernel with kvm-amd, booted in qemu-system-x86_64 under TCG
// (which emulates AMD SVM), runs hcvmm on guest ELFs from a read-only 9p share. Everything
// comes from Debian packages, fetched on first use into the cache folder (lab/fetch.sh).
// Several guests share one boot (~9 s each boot): callers batch them as steps of one job.

import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execAsync } from './exec';
import { realkvmDir, RealKvmError } from './paths';

/** The Debian kernels the lab boots: bookworm's 6.1 (the default) and trixie's 6.12. */
export const LAB_SERIES = ['6.1', '6.12'] as const;
export type LabSeries = typeof LAB_SERIES[number];

/** How hcdbg's stderr lines naming the lab's stage begin (Run on Real KVM's progress reads them). */
export const LAB_STAGE_PREFIX = 'hcdbg: lab: ';

export interface LabKernel { version: string; root: string; headers: string; headersCommon: string }

/** A guest run on real KVM, by name (its results come back under that name). */
export interface GuestStep {
  kind: 'guest';
  name: string;
  elf: string;
  trace: boolean;
  /** With the hcdbg_hc module loaded (custom hypercalls, and every hypercall's return value traced). */
  module: boolean;
  timeoutMs?: number;
}

/**
 * Shell commands for the lab's /init (busybox sh, cwd = the share, where `files` are copied
 * and hcvmm and the module are); stdout/stderr are kept under `name`.
 */
export interface ScriptStep { kind: 'script'; name: string; sh: string; files?: string[] }

export type LabStep = GuestStep | ScriptStep;

export interface StepResult { status: number | undefined; stdout: string; stderr: string; trace?: string }

export interface LabResult {
  steps: Map<string, StepResult>;
  /** The lab kernel's log after the job: oopses show up here. */
  dmesg: string;
  wallMs: number;
}

export function labCacheDir(): string {
  return process.env.HCDBG_LAB_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hcdbg-lab');
}

const kernelDir = (cache: string, series: LabSeries) => join(cache, `linux-${series}`);

/** Whether the kernel of `series` is in the cache already (else ensureLab downloads it). */
export function labFetched(cache: string, series: LabSeries): boolean {
  return existsSync(join(kernelDir(cache, series), 'version'));
}

/**
 * Fetch (first time) or reuse the lab's kernel, modules and headers of `series`, each in its own
 * folder of the cache (linux-6.1, linux-6.12). Throws RealKvmError with fetch.sh's one sentence.
 */
export async function ensureLab(cache = labCacheDir(), series: LabSeries = LAB_SERIES[0]): Promise<LabKernel> {
  // Caches from before 6.12 kept the 6.1 kernel at the top: ~100 MB nothing reads any more.
  if (existsSync(cache)) {
    for (const old of readdirSync(cache).filter((f) => f === 'root' || f === 'version' || f.startsWith('initramfs-'))) {
      rmSync(join(cache, old), { recursive: true, force: true });
    }
  }
  const dir = kernelDir(cache, series);
  const r = await execAsync('bash', [join(realkvmDir(), 'lab', 'fetch.sh'), dir, series], 900_000);
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').pop() || `lab/fetch.sh failed with status ${r.status}.`;
    throw new RealKvmError(why);
  }
  const version = r.stdout.trim();
  const root = join(dir, 'root');
  const src = join(root, 'usr', 'src');
  return {
    version, root,
    headers: join(src, `linux-headers-${version}`),
    headersCommon: join(src, `linux-headers-${version.replace(/-amd64$/, '-common')}`),
  };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** /init's job: each step's output into /out/<name>.*; the module loaded only around the steps that want it. */
function jobScript(steps: readonly LabStep[], moduleKo: string | undefined): string {
  const lines = ['# written by realkvm/lab.ts'];
  let loaded = false;
  for (const s of steps) {
    const out = `/out/${s.name}`;
    if (s.kind === 'script') {
      lines.push(`( ${s.sh}\n) >${out}.stdout 2>${out}.stderr; echo $? >${out}.status`);
      continue;
    }
    if (s.module !== loaded) {
      if (!moduleKo) throw new RealKvmError(`The lab step ${s.name} needs the hypercall module, which was not built.`);
      lines.push(s.module ? `insmod ${basename(moduleKo)} || echo "hclab: insmod failed"` : 'rmmod hcdbg_hc || echo "hclab: rmmod failed"');
      loaded = s.module;
    }
    const trace = s.trace ? `--trace ${out}.trace ` : '';
    lines.push(`./hcvmm --timeout-ms ${s.timeoutMs ?? 20000} ${trace}${q(`${s.name}.elf`)} >${out}.stdout 2>${out}.stderr; echo $? >${out}.status`);
  }
  if (loaded) lines.push('rmmod hcdbg_hc || echo "hclab: rmmod failed"');
  return lines.join('\n') + '\n';
}

/** The lab kernel's last three console lines on one line, or undefined when it printed nothing. */
function lastConsoleLines(out: string): string | undefined {
  return (readIf(join(out, 'console.txt')) ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' | ') || undefined;
}

/** For a lab that hung: the step it was in and the kernel's last console lines (a soft lockup or hung task shows there). */
function whereItStopped(steps: readonly LabStep[], out: string): string {
  const running = steps.find((s) => readIf(join(out, `${s.name}.status`)) === undefined);
  const kernel = lastConsoleLines(out);
  const step = running ? `in step ${running.name}` : 'after its last step';
  return kernel ? `${step}; the lab kernel's last lines: ${kernel}` : `${step}; the lab kernel printed nothing`;
}

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * Boot the lab once and run `steps` in order. qemu is a child of this process with a deadline;
 * nothing outlives the call (the temporary share and output folders are removed too).
 */
export async function runLab(kernel: LabKernel, hcvmm: string, steps: readonly LabStep[], moduleKo?: string, deadlineMs = 300_000): Promise<LabResult> {
  const cache = join(kernel.root, '..');
  const work = mkdtempSync(join(tmpdir(), 'hcdbg-lab-'));
  const share = join(work, 'share'), out = join(work, 'out');
  // Ctrl+C reaches qemu too (same process group); the folders go with it.
  const onInterrupt = () => { rmSync(work, { recursive: true, force: true }); process.exit(130); };
  process.once('SIGINT', onInterrupt);
  try {
    mkdirSync(share);
    mkdirSync(out);
    copyFileSync(hcvmm, join(share, 'hcvmm'));
    chmodSync(join(share, 'hcvmm'), 0o755);
    if (moduleKo) copyFileSync(moduleKo, join(share, basename(moduleKo)));
    for (const s of steps) {
      if (s.kind === 'guest') copyFileSync(s.elf, join(share, `${s.name}.elf`));
      else for (const f of s.files ?? []) copyFileSync(f, join(share, basename(f)));
    }
    writeFileSync(join(share, 'job.sh'), jobScript(steps, moduleKo));
    const started = Date.now();
    const r = await execAsync('bash', [join(realkvmDir(), 'lab', 'run.sh'), cache, share, out], deadlineMs);
    const wallMs = Date.now() - started;
    if (r.timedOut) {
      throw new RealKvmError(`The lab did not power off within ${deadlineMs / 1000} s; qemu was stopped (${whereItStopped(steps, out)}).`);
    }
    if (readIf(join(out, 'job.status')) === undefined) {
      const qemu = r.stderr.split('\n').filter((l) => l && !l.includes('TCG doesn\'t support')).pop();
      throw new RealKvmError(`The lab kernel stopped before its job finished (${qemu ?? lastConsoleLines(out) ?? 'no message'}).`);
    }
    const jobLog = readIf(join(out, 'job.log')) ?? '';
    const hclab = jobLog.split('\n').find((l) => l.startsWith('hclab: '));
    if (hclab) throw new RealKvmError(`The lab could not run its job: ${hclab.slice(7)}.`);
    const results = new Map<string, StepResult>();
    for (const s of steps) {
      const status = readIf(join(out, `${s.name}.status`));
      results.set(s.name, {
        status: status === undefined ? undefined : Number(status.trim()),
        stdout: readIf(join(out, `${s.name}.stdout`)) ?? '',
        stderr: readIf(join(out, `${s.name}.stderr`)) ?? '',
        trace: readIf(join(out, `${s.name}.trace`)),
      });
    }
    return { steps: results, dmesg: readIf(join(out, 'dmesg.txt')) ?? '', wallMs };
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    rmSync(work, { recursive: true, force: true });
  }
}
