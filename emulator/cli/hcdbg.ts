// hcdbg: run a guest under the sample (or a given) host hypervisor on the embedded machine,
// from the command line. Guest console -> stdout, host console -> stderr (each line
// prefixed "[host] "), the trace after the run with --trace (ftrace text, or a Chrome JSON
// trace with --trace-format chrome). Exit status: 0 when the host wrote 0 to the platform
// exit port, 1 when the run ended any other way, 2 for bad usage, an unreadable or invalid
// ELF file, or an unwritable trace file.

import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Machine } from '../machine';
import { renderTrace } from '../trace/ftrace';
import { renderChromeTrace } from '../trace/chromeTrace';
import { escalationText, exitReasonName, VM_INSTRUCTION_ERROR_MESSAGES, type EntryFailure, type StopReason, type TripleFault } from '../api';
import { REAL_KVM_USAGE, realKvmMain } from '../../realkvm/cli';

const USAGE = `Usage: hcdbg run --guest <elf> [--host <elf>] [--trace] [--trace-file <path>] [--trace-format ftrace|chrome] [--max-instructions <n>]

Runs <guest> in VMX non-root mode under the host hypervisor <host> (default: the bundled
hello-hypercall host) on the embedded x86-64 + VMX machine until the host powers it off.

  --guest <elf>             guest ELF64 executable (where it may be linked: docs/platform.md)
  --host <elf>              host hypervisor ELF64 executable (default: ${'samples/hello-hypercall/build/host.elf'})
  --trace                   print the ftrace text (/sys/kernel/tracing/trace layout) after the run
  --trace-file <path>       write the trace to <path> instead of stdout (implies --trace)
  --trace-format <format>   ftrace (default): the ftrace text; chrome: a Chrome JSON trace
                            that Perfetto UI and chrome://tracing open (implies --trace)
  --max-instructions <n>    instruction budget (default 1000000000)
  -h, --help                show this help

The guest console (COM2) goes to stdout, the host console (COM1) to stderr with "[host] "
before each line. Exit status: 0 if the host wrote 0 to the platform exit port; 1 for any
other end (non-zero exit status, halt, triple fault, failed VM entry, exhausted budget);
2 for bad usage, a bad ELF file or a trace file that cannot be written.

${REAL_KVM_USAGE}`;

const DEFAULT_BUDGET = 1_000_000_000;
const SLICE = 10_000_000;

class UsageError extends Error {}

type TraceFormat = 'ftrace' | 'chrome';
const TRACE_FORMATS: readonly TraceFormat[] = ['ftrace', 'chrome'];

interface RunOptions { guest: string; host: string; trace: boolean; traceFile?: string; traceFormat: TraceFormat; maxInstructions: number }

/** Where the package keeps the sample host: dist/../samples/... */
export function defaultHostPath(): string {
  return resolve(__dirname, '..', 'samples', 'hello-hypercall', 'build', 'host.elf');
}

function parseRun(args: string[]): RunOptions {
  let guest: string | undefined, host: string | undefined, traceFile: string | undefined;
  let trace = false, maxInstructions = DEFAULT_BUDGET, traceFormat: TraceFormat = 'ftrace';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`The option ${arg} needs a value.`);
      return v;
    };
    switch (arg) {
      case '--guest': guest = value(); break;
      case '--host': host = value(); break;
      case '--trace': trace = true; break;
      case '--trace-file': traceFile = value(); trace = true; break;
      case '--trace-format': {
        const v = value();
        if (!TRACE_FORMATS.includes(v as TraceFormat)) throw new UsageError(`--trace-format is ftrace or chrome, not "${v}".`);
        traceFormat = v as TraceFormat;
        trace = true;
        break;
      }
      case '--max-instructions': {
        const v = value();
        maxInstructions = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(maxInstructions) || maxInstructions <= 0) {
          throw new UsageError(`--max-instructions needs a positive whole number, not "${v}".`);
        }
        break;
      }
      default: throw new UsageError(`Unknown option "${arg}"; see hcdbg --help.`);
    }
  }
  if (!guest) throw new UsageError('hcdbg run needs --guest <elf>; see hcdbg --help.');
  return { guest, host: host ?? defaultHostPath(), trace, traceFile, traceFormat, maxInstructions };
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
}

/** Before the run, so a bad --trace-file is not found only after the whole guest ran. */
function checkTraceFile(path: string): void {
  const why = (() => {
    try {
      if (statSync(path).isDirectory()) return 'it is a directory';
    } catch {
      // Not there yet: the directory decides.
    }
    const folder = dirname(resolve(path));
    try {
      if (!statSync(folder).isDirectory()) return `${folder} is not a directory`;
      accessSync(folder, constants.W_OK);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : errnoText(e);
    }
  })();
  if (why) throw new UsageError(`Cannot write the trace file ${path}: ${why}.`);
}

function writeTraceFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`Cannot write the trace file ${path}: ${errnoText(e) === 'no such file' ? 'no such directory' : errnoText(e)}.`);
  }
}

function readElf(path: string, role: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`Cannot read the ${role} ELF ${path}: ${errnoText(e)}.`);
  }
}

function tripleFaultSentence(fault: TripleFault): string {
  const at = `Triple fault at RIP 0x${fault.rip.toString(16)}`;
  if (fault.vector === undefined) return `${at}: the processor shut down.`;
  return `${at}: ${escalationText(fault.vector, fault.firstVector, fault.errorCode)} could not be delivered, so the processor shut down.`;
}

function entryFailureSentence(failure: EntryFailure): string {
  if (failure.exitReason !== undefined) {
    const rip = failure.guestRip !== undefined ? ` at guest RIP 0x${failure.guestRip.toString(16)}` : '';
    return `VM entry failed with exit reason ${failure.exitReason} (${exitReasonName(failure.exitReason)})${rip}: ${failure.check} (SDM ${failure.sdm}).`;
  }
  const error = failure.instructionError ?? 0;
  const name = error === 0 ? 'VMfailInvalid' : `VM-instruction error ${error}: ${VM_INSTRUCTION_ERROR_MESSAGES[error] ?? 'unknown error'}`;
  return `VMLAUNCH/VMRESUME failed with ${name}: ${failure.check} (SDM ${failure.sdm}).`;
}

/** One sentence for every way a run can end other than a clean power-off. */
function describeStop(stop: StopReason, machine: Machine, executed: number): string {
  const where = `${machine.inGuest ? 'guest' : 'host'} RIP 0x${machine.cpu.rip.toString(16)}`;
  switch (stop.kind) {
    case 'poweroff': {
      // The host's reason for a failure status is usually the last VM exit it handled.
      const lastExit = machine.lastExit;
      const last = lastExit ? `; the last VM exit was ${lastExit.reasonName} at guest RIP 0x${lastExit.guestRip.toString(16)}` : '';
      return `The host powered the machine off with status ${stop.status}${last}.`;
    }
    case 'halted': return `The machine halted at ${where} with nothing to wake it, before the host wrote the platform exit port.`;
    case 'shutdown': return tripleFaultSentence(stop.fault);
    case 'vmentry-failure': return entryFailureSentence(stop.failure);
    case 'budget': return `The instruction budget of ${executed} instructions ran out at ${where} before the machine powered off (raise --max-instructions).`;
    default: return `The run stopped unexpectedly (${stop.kind}) at ${where}.`;
  }
}

function run(options: RunOptions): number {
  if (options.traceFile) checkTraceFile(options.traceFile);
  const hostElf = readElf(options.host, 'host');
  const guestElf = readElf(options.guest, 'guest');
  let machine: Machine;
  try {
    machine = Machine.boot({ hostElf, guestElf, hostPath: options.host, guestPath: options.guest });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  machine.onConsole(({ port, text }) => {
    if (port === 'guest') process.stdout.write(text);
    else process.stderr.write(text.replace(/^(?=.)/gm, '[host] '));
  });
  const start = machine.cpu.icount;
  let stop: StopReason = { kind: 'budget' };
  while (machine.cpu.icount - start < options.maxInstructions) {
    stop = machine.run(Math.min(SLICE, options.maxInstructions - (machine.cpu.icount - start)));
    if (stop.kind !== 'budget') break;
  }
  if (options.trace) {
    const text = options.traceFormat === 'chrome' ? renderChromeTrace(machine.traceRecords) : renderTrace(machine.traceRecords, machine.trace.written);
    if (options.traceFile) writeTraceFile(options.traceFile, text);
    else process.stdout.write(text);
  }
  if (stop.kind === 'poweroff' && stop.status === 0) return 0;
  process.stderr.write(`hcdbg: ${describeStop(stop, machine, machine.cpu.icount - start)}\n`);
  return 1;
}

export function main(argv: string[]): number | Promise<number> {
  try {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
      process.stdout.write(USAGE + '\n');
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === 'real-kvm' || argv[0] === 'compare') return realKvmMain(argv, defaultHostPath());
    if (argv[0] !== 'run') throw new UsageError(`Unknown command "${argv[0]}"; the commands are "run", "real-kvm" and "compare" (see hcdbg --help).`);
    return run(parseRun(argv.slice(1)));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hcdbg: ${e.message}\n`);
      return 2;
    }
    // An emulator defect, not guest behaviour: still one sentence, and a non-zero status.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`hcdbg: The emulator failed: ${message.replace(/\.?$/, '.')}\n`);
    return 1;
  }
}

if (require.main === module) void Promise.resolve(main(process.argv.slice(2))).then((code) => { process.exitCode = code; });
