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
      // One translation per 4 KiB page, then physical reads: variables and the memory view read kilobytes at a time.
      read: (address, length) => {
        const out = new Uint8Array(length);
        let any = false;
        for (let offset = 0; offset < length;) {
          const at = BigInt.asUintN(64, address + BigInt(offset));
          const n = Math.min(length - offset, Number(0x1000n - (at & 0xfffn)));
          const physical = this.machine.translate(at, space);
          const chunk = physical === undefined ? null : this.machine.readMemory(physical, n, 'physical');
          if (chunk) { out.set(chunk, offset); any = true; }
          offset += n;
        }
        return any ? out : null;
      },
      write: (address, data) => this.machine.writeMemory(address, data, space),
    };
  }

  /** How many bytes from `address` translate on `side` before the first page that does not (at most `length`). */
  readableLength(side: Side, address: bigint, length: number): number {
    const space = side === 'guest' ? 'guest-linear' : 'host-linear';
    let offset = 0;
    while (offset < length) {
      const at = BigInt.asUintN(64, address + BigInt(offset));
      if (this.machine.translate(at, space) === undefined) break;
      offset += Number(0x1000n - (at & 0xfffn));
    }
    return Math.min(offset, length);
  }

  /** 8 bytes at `address`, or undefined unless all of them translate. */
  readU64(side: Side, address: bigint): bigint | undefined {
    const space = side === 'guest' ? 'guest-linear' : 'host-linear';
    if (this.machine.translate(address, space) === undefined || this.machine.translate(address + 7n, space) === undefined) return undefined;
    const bytes = this.machine.readMemory(address, 8, space);
    return bytes ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : undefined;
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
