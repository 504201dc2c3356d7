// hcdbg real-kvm and hcdbg compare (called from emulator/cli/hcdbg.ts).
//   hcdbg real-kvm --guest <elf> [--trace] [--trace-file <path>] [--sample <folder>] [--load-module] [--lab] [--lab-kernel 6.1|6.12]
//   hcdbg compare --guest <elf> [--host <elf>] [--sample <folder>] [--load-module] [--lab] [--lab-kernel 6.1|6.12] [--json]
// Exit status: real-kvm 0 when the guest halted, 1 any other end; compare 0 only when the
// model and real KVM agree, 1 when they differ; 2 bad usage or guest file; 3 when no real
// KVM could be had (one sentence on stderr).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compareRuns, renderVerdict } from './compare';
import { eventLines, RETURN_REPORTER } from './ftraceText';
import { LAB_SERIES, type LabSeries } from './lab';
import { runOnModel, type GuestRun } from './modelRun';
import { hasHypercallFolder, RealKvmError, sampleDir, sampleFolderOf } from './paths';
import { runOnRealKvm, type RealRuns } from './realRun';

export const REAL_KVM_USAGE = `       hcdbg real-kvm --guest <elf> [--trace] [--trace-file <path>] [--sample <folder>] [--load-module] [--lab] [--lab-kernel 6.1|6.12]
       hcdbg compare --guest <elf> [--host <elf>] [--sample <folder>] [--load-module] [--lab] [--lab-kernel 6.1|6.12] [--json]

real-kvm runs <guest> on real Linux KVM: this machine's /dev/kvm when it answers a probe
hypercall within a second, otherwise the lab (Debian's kernel with kvm-amd in
qemu-system-x86_64, downloaded on first use into ~/.cache/hcdbg-lab). compare runs it on the
embedded machine and on real KVM and prints a verdict: console, each hypercall's number and
answer, the kvm_hypercall/trace_printk sequence, exit reasons (VMX<->SVM names).

  --sample <folder>         the copy of the sample whose host/hypercalls/*.c go into the
                            hypercall module (default: the one --host, else --guest, was
                            built in, else the shipped sample); compare's model host defaults
                            to its build/host.elf
  --load-module             also on this machine's own kernel, load the custom hypercalls'
                            module for the run (root; unloaded at the end; the lab always does)
  --lab                     use the lab even when /dev/kvm works
  --lab-kernel <6.1|6.12>   the kernel the lab boots: Debian bookworm's 6.1 (default) or
                            trixie's 6.12, each downloaded on first use
  --json                    compare prints one JSON object instead of text: where, agree,
                            aspects, and both runs' console and trace (the VS Code command)

Exit status: real-kvm 0 when the guest halted, compare 0 only when the model and real KVM
agree; 1 otherwise; 2 for bad usage or a bad guest file; 3 when no real KVM could be had.`;

interface Options { guest: string; host?: string; sample?: string; trace: boolean; traceFile?: string; loadModule: boolean; lab: boolean; labKernel?: LabSeries; json: boolean }

class UsageError extends Error {}

function parse(command: string, args: string[]): Options {
  const o: Options = { guest: '', trace: false, loadModule: false, lab: false, json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`The option ${arg} needs a value.`);
      return v;
    };
    switch (arg) {
      case '--guest': o.guest = value(); break;
      case '--host': if (command === 'compare') { o.host = value(); break; } throw new UsageError('hcdbg real-kvm has no --host: real KVM is the host.');
      case '--trace': if (command === 'real-kvm') { o.trace = true; break; } throw new UsageError('hcdbg compare has no --trace; it compares the traces itself.');
      case '--trace-file': if (command === 'real-kvm') { o.traceFile = value(); o.trace = true; break; } throw new UsageError('hcdbg compare has no --trace-file.');
      case '--sample': o.sample = value(); break;
      case '--load-module': o.loadModule = true; break;
      case '--lab': o.lab = true; break;
      case '--lab-kernel': {
        const v = value();
        if (!(LAB_SERIES as readonly string[]).includes(v)) throw new UsageError(`The lab boots Linux ${LAB_SERIES.join(' or ')}, not "${v}".`);
        o.labKernel = v as LabSeries;
        break;
      }
      case '--json': if (command === 'compare') { o.json = true; break; } throw new UsageError('hcdbg real-kvm has no --json; use hcdbg compare --json.');
      default: throw new UsageError(`Unknown option "${arg}"; see hcdbg --help.`);
    }
  }
  if (!o.guest) throw new UsageError(`hcdbg ${command} needs --guest <elf>; see hcdbg --help.`);
  if (o.sample !== undefined && !hasHypercallFolder(o.sample)) throw new UsageError(`${o.sample} has no host/hypercalls/ folder, so it is not a copy of the hello-hypercall sample.`);
  if (!existsSync(o.guest)) throw new UsageError(`Cannot read the guest ELF ${o.guest}: no such file.`);
  const head = readFileSync(o.guest).subarray(0, 4);
  if (head.length < 4 || head[0] !== 0x7f || head.toString('latin1', 1, 4) !== 'ELF') throw new UsageError(`${basename(o.guest)} is not an ELF file.`);
  return o;
}

/** The real trace as the user reads it: without the module's answer lines (they are for compare). */
function userTrace(trace: string): string {
  const header = trace.split('\n').filter((l) => l.startsWith('#'));
  const events = eventLines(trace).filter((l) => !l.includes(` ${RETURN_REPORTER}: `));
  return [...header, ...events].join('\n') + '\n';
}

/** The guest's host model: its custom hypercalls go into the module (and its host ELF into compare's model). */
function sampleOf(o: Options): string {
  return o.sample ?? (o.host && sampleFolderOf(o.host)) ?? sampleFolderOf(o.guest) ?? sampleDir();
}

async function realRun(o: Options): Promise<{ real: RealRuns; run: GuestRun }> {
  const real = await runOnRealKvm([{ name: 'guest', elf: o.guest }], { loadModule: o.loadModule, lab: o.lab, labKernel: o.labKernel, sample: sampleOf(o) });
  for (const n of real.notes) process.stderr.write(`hcdbg: note: ${n}.\n`);
  return { real, run: real.runs.get('guest')! };
}

async function realKvm(o: Options): Promise<number> {
  const { real, run } = await realRun(o);
  process.stdout.write(run.console);
  process.stderr.write(`[real-kvm ${real.where}, Linux ${real.kernel}] ${run.ending}\n`);
  if (o.trace) {
    if (o.traceFile) writeFileSync(o.traceFile, userTrace(run.trace));
    else process.stdout.write(userTrace(run.trace));
  }
  return run.status === 0 ? 0 : 1;
}

async function compare(o: Options, defaultHost: string): Promise<number> {
  let model: GuestRun;
  try {
    const sampleHost = join(sampleOf(o), 'build', 'host.elf');
    if (!o.host && !existsSync(sampleHost)) process.stderr.write(`hcdbg: note: ${sampleHost} is not built, so the model runs the shipped sample's host.\n`);
    model = runOnModel(o.host ?? (existsSync(sampleHost) ? sampleHost : defaultHost), o.guest);
  } catch (e) {
    throw new UsageError((e as Error).message);	// the loader's sentence on a bad ELF
  }
  const { real, run } = await realRun(o);
  const verdict = compareRuns(model, run);
  if (o.json) {
    const side = (r: GuestRun) => ({ console: r.console, trace: userTrace(r.trace), status: r.status, ending: r.ending });
    process.stdout.write(JSON.stringify({ guest: o.guest, where: real.where, kernel: real.kernel, ...verdict, model: side(model), real: side(run) }) + '\n');
    return verdict.agree ? 0 : 1;
  }
  process.stdout.write(`compare ${basename(o.guest)}: model vs real KVM (${real.where}, Linux ${real.kernel})\n`);
  process.stdout.write(renderVerdict(verdict));
  return verdict.agree ? 0 : 1;
}

/** `argv` starts with the command name. */
export async function realKvmMain(argv: string[], defaultHost: string): Promise<number> {
  try {
    const o = parse(argv[0], argv.slice(1));
    return await (argv[0] === 'compare' ? compare(o, defaultHost) : realKvm(o));
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`hcdbg: ${e.message}\n`); return 2; }
    if (e instanceof RealKvmError) { process.stderr.write(`hcdbg: ${e.message}\n`); return 3; }
    throw e;
  }
}
