// Names visible from a stack frame, for evaluate, breakpoint conditions, logpoints and the
// values typed into setVariable: the frame's locals and parameters, its registers (with or
// without `$`), the program's globals and function symbols, and the KVM_HC_* numbers.

import { GPR_NAMES } from '../emulator/api';
import type { Debuggee } from './debuggee';
import { evaluateExpression, numberOf, type ExprValue, type NameResolver } from './expression';
import type { Side } from './programSymbols';
import { registerValue } from './registers';
import type { FrameView } from './stackBuilder';

export function frameNames(d: Debuggee, frame: FrameView | undefined): NameResolver {
  const side: Side = frame?.side ?? d.side;
  const symbols = d.symbolsFor(side);
  const memory = d.memory(side);
  let locals: Map<string, ExprValue> | undefined;
  return {
    lookup(name) {
      if (frame?.regs) {
        locals ??= new Map(symbols.locals(frame.regs, memory, memory).map((v) => [v.name, v]));
        const local = locals.get(name);
        if (local) return local;
        const i = (GPR_NAMES as readonly string[]).indexOf(name);
        if (i >= 0 && frame.regs.known.has(i)) return frame.regs.gpr[i];
        if (name === 'rip' || name === 'pc') return frame.regs.rip;
      }
      if (!frame || (frame.side === d.side && !d.exitStopView)) {
        const reg = registerValue(d.machine, name);
        if (reg !== undefined) return reg;
      }
      const global = symbols.global(name, memory, memory);
      if (global) return global;
      const address = symbols.symbolAddress(name);
      if (address !== undefined) return address;
      const nr = d.hypercalls.number(name);
      return nr === undefined ? undefined : BigInt(nr);
    },
    readU64: (address) => d.readU64(side, address),
  };
}

/** A value the user typed for a register or VMCS field, as a C expression in the frame. */
export function parseValue(d: Debuggee, frame: FrameView | undefined, text: string): bigint {
  return numberOf(evaluateExpression(text, frameNames(d, frame)));
}
