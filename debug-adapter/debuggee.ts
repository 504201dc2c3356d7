// The program being debugged: the booted machine, the host's and the guest's debug
// information, and what the machine is doing across the VM boundary (the VM exit the host is
// handling, whether the guest ever ran). Everything else in the adapter asks it for "which
// side is running" and "memory/registers as that side sees them".

import { Field, Reg, type MachineApi, type VmExitInfo } from '../emulator/api';
import type { LaunchConfig } from './launchConfig';
import type { FrameRegisters, MemoryReader, MemoryWriter, ProgramSymbols, Side } from './programSymbols';
import type { HypercallNames } from './hypercallNames';

export class Debuggee {
  /** Set once the machine cannot run any more (fault, power-off): the sentence that says why. */
  deadReason: string | undefined;
  /** The last stop came from an exception filter at a VM exit: show the guest at the exiting instruction (the host has not run yet). */
  exitStopView = false;

  constructor(
    readonly machine: MachineApi,
    readonly config: LaunchConfig,
    readonly symbols: Record<Side, ProgramSymbols>,
    readonly hypercalls: HypercallNames,
  ) {}

  get side(): Side { return this.machine.inGuest ? 'guest' : 'host'; }

  /** The VM exit the host is handling right now (from the exit until the next VM entry). */
  get exit(): VmExitInfo | undefined { return this.machine.inGuest ? undefined : this.machine.lastExit; }
  /** Some VM entry succeeded since boot. */
  get entered(): boolean { return this.machine.entered; }

  memory(side: Side): MemoryReader & MemoryWriter {
    const space = side === 'guest' ? 'guest-linear' : 'host-linear';
    return {
      // The readable prefix, zero-padded to `length`: a value straddling an unmapped page still shows its first bytes.
      read: (address, length) => {
        const bytes = this.machine.readMemory(address, length, space);
        if (!bytes || bytes.length === length) return bytes;
        const out = new Uint8Array(length);
        out.set(bytes);
        return out;
      },
      write: (address, data) => this.machine.writeMemory(address, data, space),
    };
  }

  /** The bytes from `address` on `side` up to the first page that does not translate (at most `length`). */
  readReadable(side: Side, address: bigint, length: number): Uint8Array {
    return this.machine.readMemory(address, length, side === 'guest' ? 'guest-linear' : 'host-linear') ?? new Uint8Array(0);
  }

  /** 8 bytes at `address`, or undefined unless all of them translate. */
  readU64(side: Side, address: bigint): bigint | undefined {
    const bytes = this.readReadable(side, address, 8);
    return bytes.length === 8 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : undefined;
  }

  /** The CPU's own registers: the running side's frame 0. */
  liveRegisters(): FrameRegisters {
    return { rip: this.machine.register('rip'), gpr: this.machine.gprs(), known: new Set(Array.from({ length: 16 }, (_, i) => i)) };
  }

  /** The guest's frame 0 while the host handles an exit: GPRs saved at the exit, RIP/RSP from the VMCS. */
  guestRegistersAtExit(): FrameRegisters | undefined {
    if (!this.exit) return undefined;
    const gpr = new BigUint64Array(this.exit.guestGprs);
    gpr[Reg.RSP] = this.machine.vmcsRead(Field.GUEST_RSP) ?? gpr[Reg.RSP];
    return { rip: this.exit.guestRip, gpr, known: new Set(Array.from({ length: 16 }, (_, i) => i)) };
  }

  /** The debug information of the program that runs on `side`. */
  symbolsFor(side: Side): ProgramSymbols { return this.symbols[side]; }
}
