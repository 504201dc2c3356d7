// The `hypercall` launch configuration: its attributes, their defaults, and validation that
// answers every wrong value with one sentence a person understands.

import { parseElf, assertX86_64Executable, type ElfFile } from '../emulator/api';
import type { FileAccess } from './fileAccess';
import { PathFormat } from './pathFormat';

export type HostStepInTarget = 'kvm_emulate_hypercall' | 'vmexit';
const STEP_IN_TARGETS: readonly HostStepInTarget[] = ['kvm_emulate_hypercall', 'vmexit'];

/** Attributes as they arrive in the launch request (anything may be wrong). */
export interface LaunchArguments {
  guest?: unknown;
  host?: unknown;
  stopOnEntry?: unknown;
  trace?: unknown;
  hostStepInTarget?: unknown;
  maxInstructions?: unknown;
  cwd?: unknown;
}

export interface LoadedElf { path: string; bytes: Uint8Array; elf: ElfFile }

export interface LaunchConfig {
  guest: LoadedElf;
  host: LoadedElf;
  stopOnEntry: boolean;
  trace: boolean;
  hostStepInTarget: HostStepInTarget;
  /** Instructions the whole session may retire before it stops as "budget exhausted"; undefined = unlimited. */
  maxInstructions: number | undefined;
  /** Folder relative paths resolve against; also searched for sources whose DWARF path moved. */
  cwd: string;
  /** How files are named to the client (plain paths, or URIs where the file access says so). */
  paths: PathFormat;
}

/** Thrown for a bad launch configuration; `message` is the sentence shown to the user. */
export class LaunchConfigError extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'number' ? 'the number' : 'the ' + typeof value} ${String(value)}`;
}

function optionalBoolean(args: LaunchArguments, name: 'stopOnEntry' | 'trace', fallback: boolean): boolean {
  const value = args[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new LaunchConfigError(`"${name}" must be true or false, not ${describe(value)}.`);
  return value;
}

async function loadElf(fs: FileAccess, role: 'guest' | 'host', path: string): Promise<LoadedElf> {
  const kind = await fs.kind(path);
  if (kind === 'missing') throw new LaunchConfigError(`The ${role} ELF file ${path} does not exist.`);
  if (kind === 'directory') throw new LaunchConfigError(`The ${role} path ${path} is a folder, not an ELF file.`);
  const bytes = await fs.readFile(path);
  try {
    const elf = parseElf(bytes, path);
    assertX86_64Executable(elf);
    return { path, bytes, elf };
  } catch (e) {
    // The ELF reader's messages start with the file name: "<path> is not an ELF file."
    throw new LaunchConfigError(`The ${role} file ${(e as Error).message}`);
  }
}

function pathAttribute(args: LaunchArguments, name: 'guest' | 'host'): string | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new LaunchConfigError(`"${name}" must be the path of the ${name} ELF file as a string, not ${describe(value)}.`);
  if (value.trim() === '') throw new LaunchConfigError(`"${name}" is empty; give the path of the ${name} ELF file.`);
  return value;
}

/**
 * Checks every attribute and loads both ELFs. `defaultHost` is the bundled sample host.
 * Relative paths resolve against `cwd` (an attribute VS Code fills with the workspace folder).
 */
export async function validateLaunchConfig(args: LaunchArguments, fs: FileAccess, defaultHost: string): Promise<LaunchConfig> {
  if (args.cwd !== undefined && typeof args.cwd !== 'string') throw new LaunchConfigError(`"cwd" must be a folder path as a string, not ${describe(args.cwd)}.`);
  const cwd = (args.cwd as string | undefined) ?? fs.cwd();
  const guestPath = pathAttribute(args, 'guest');
  if (guestPath === undefined) throw new LaunchConfigError('The launch configuration has no "guest": set it to the path of the guest ELF to run.');
  const hostPath = pathAttribute(args, 'host');
  const stopOnEntry = optionalBoolean(args, 'stopOnEntry', false);
  const trace = optionalBoolean(args, 'trace', true);

  let hostStepInTarget: HostStepInTarget = 'kvm_emulate_hypercall';
  if (args.hostStepInTarget !== undefined) {
    if (!STEP_IN_TARGETS.includes(args.hostStepInTarget as HostStepInTarget)) {
      throw new LaunchConfigError(`"hostStepInTarget" must be "kvm_emulate_hypercall" or "vmexit", not ${describe(args.hostStepInTarget)}.`);
    }
    hostStepInTarget = args.hostStepInTarget as HostStepInTarget;
  }

  let maxInstructions: number | undefined;
  const max = args.maxInstructions;
  if (max !== undefined) {
    if (typeof max !== 'number' || !Number.isFinite(max)) throw new LaunchConfigError(`"maxInstructions" must be a number of instructions, not ${describe(max)}.`);
    if (max <= 0 || !Number.isInteger(max)) throw new LaunchConfigError(`"maxInstructions" must be a positive whole number of instructions, not ${max}.`);
    maxInstructions = max;
  }

  const guest = await loadElf(fs, 'guest', fs.resolve(cwd, guestPath));
  const host = await loadElf(fs, 'host', hostPath === undefined ? defaultHost : fs.resolve(cwd, hostPath));
  return { guest, host, stopOnEntry, trace, hostStepInTarget, maxInstructions, cwd, paths: new PathFormat(fs) };
}
