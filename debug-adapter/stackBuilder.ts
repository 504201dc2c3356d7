// One call stack across the VM boundary. While the host handles a VM exit: host frames, a
// label frame naming the exit ("VM exit: VMCALL"), then the guest frames rebuilt from the
// registers saved at the exit; inside the guest, kernel frames, a label at the syscall
// boundary ("syscall 332") and the user frames found through the kernel's pt_regs.

import type { Debuggee } from './debuggee';
import { Reg } from '../emulator/api';
import type { FrameRegisters, LineLocation, ProgramSymbols, Side, VariableNode } from './programSymbols';

export interface FrameView {
  id: number;
  name: string;
  side: Side;
  /** Label frames (VM exit, syscall) carry no registers. */
  label: boolean;
  regs?: FrameRegisters;
  location?: LineLocation;
  /** Canonical frame address, when the unwinder knew it. */
  cfa?: bigint;
}

const MAX_FRAMES = 64;
/** The guest kernel's C entry for system calls (Linux arch/x86/entry/common.c). */
const SYSCALL_DISPATCHER = 'do_syscall_64';

/** Which side is on top of the stack the user sees. */
export function topSide(debuggee: Debuggee): Side {
  return debuggee.exitStopView ? 'guest' : debuggee.side;
}

export class StackBuilder {
  private frames: FrameView[] = [];
  private nextId = 1;

  constructor(private readonly debuggee: Debuggee) {}

  /** Forget frames of the previous stop (their ids become invalid). */
  invalidate(): void { this.frames = []; }

  /** After the user changed a register: the running side's frame 0 reads the CPU again (ids stay valid). */
  refreshLiveFrame(): void {
    const top = this.frames[0];
    if (top?.regs && !this.debuggee.exitStopView && top.side === this.debuggee.side) top.regs = this.debuggee.liveRegisters();
  }

  frame(id: number): FrameView | undefined { return this.frames.find((f) => f.id === id); }

  /** The stack of the current stop; computed once per stop. */
  build(): FrameView[] {
    if (this.frames.length > 0) return this.frames;
    const d = this.debuggee;
    const frames: FrameView[] = [];
    if (d.exitStopView && d.exit) {
      this.chain('guest', d.guestRegistersAtExit()!, frames);
    } else if (d.side === 'guest') {
      this.chain('guest', d.liveRegisters(), frames);
    } else {
      this.chain('host', d.liveRegisters(), frames);
      if (d.exit) {
        frames.push(this.label(`VM exit: ${d.exit.reasonName}`, 'guest'));
        this.chain('guest', d.guestRegistersAtExit()!, frames);
      }
    }
    this.frames = frames;
    return frames;
  }

  private label(name: string, side: Side): FrameView {
    return { id: this.nextId++, name, side, label: true };
  }

  private chain(side: Side, start: FrameRegisters, out: FrameView[]): void {
    const symbols = this.debuggee.symbolsFor(side);
    const memory = this.debuggee.memory(side);
    let regs: FrameRegisters | undefined = start;
    for (let depth = 0; regs && depth < MAX_FRAMES && out.length < MAX_FRAMES; depth++) {
      // A caller's RIP is a return address: its line is the call's, one byte earlier.
      const lookup = depth === 0 ? regs.rip : regs.rip - 1n;
      const fn = symbols.functionAt(lookup);
      const view: FrameView = {
        id: this.nextId++, side, label: false, regs,
        name: fn?.name ?? `0x${regs.rip.toString(16)}`,
        location: symbols.addressToLine(lookup),
      };
      out.push(view);
      if (side === 'guest' && fn?.name === SYSCALL_DISPATCHER) {
        const user = this.syscallBoundary(symbols, regs);
        if (user) {
          out.push(this.label(user.label, side));
          regs = user.regs;
          continue;
        }
      }
      const next = symbols.unwind(regs, memory);
      if (!next || next.caller.rip === 0n) break;
      view.cfa = next.cfa;
      // A caller whose stack pointer did not move up is a broken chain, not a frame.
      if (next.caller.gpr[Reg.RSP] <= regs.gpr[Reg.RSP] && depth > 0) break;
      regs = next.caller;
    }
  }

  /**
   * do_syscall_64(struct pt_regs *regs, int nr) marks the syscall boundary: the user frames
   * continue from regs->ip/sp/bp; the number is `nr`, else regs->orig_ax.
   */
  private syscallBoundary(symbols: ProgramSymbols, regs: FrameRegisters): { label: string; regs: FrameRegisters } | undefined {
    const locals = symbols.locals(regs, this.debuggee.memory('guest'));
    const ptRegs = locals.find((v) => v.name === 'regs');
    if (!ptRegs || ptRegs.numeric === undefined || ptRegs.numeric === 0n) return undefined;
    const fields = membersThroughPointer(ptRegs);
    const field = (name: string): bigint | undefined => fields.find((f) => f.name === name)?.numeric;
    const ip = field('ip');
    const sp = field('sp');
    if (ip === undefined || sp === undefined) return undefined;
    const nr = locals.find((v) => v.name === 'nr')?.numeric ?? field('orig_ax');
    const gpr = new BigUint64Array(16);
    gpr[Reg.RSP] = sp;
    const known = new Set([Reg.RSP]);
    const bp = field('bp');
    if (bp !== undefined) { gpr[Reg.RBP] = bp; known.add(Reg.RBP); }
    return { label: nr === undefined ? 'syscall' : `syscall ${nr}`, regs: { rip: ip, gpr, known } };
  }
}

/** The members of the struct a pointer variable points to (shown as the pointer's one child). */
export function membersThroughPointer(pointer: VariableNode): VariableNode[] {
  const children = pointer.children?.() ?? [];
  if (children.length === 1 && children[0].children) return children[0].children();
  return children;
}
