// Scopes and variables: Locals (DWARF), the side's registers, the VMCS, and the current
// hypercall (nr with its KVM_HC_* name, a0..a3). Every expandable value gets a
// variablesReference that lives until the next resume.

import { Handles } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ExitReason, Reg } from '../emulator/api';
import type { Debuggee } from './debuggee';
import { parseValue } from './frameContext';
import { formatReference } from './memoryReferences';
import type { Side, VariableNode } from './programSymbols';
import { guestRegistersAtExit, hostRegistersFromVmcs, liveRegisters } from './registers';
import { topSide, type FrameView } from './stackBuilder';
import { vmcsGroups } from './vmcsView';

interface Container { side: Side; children: () => VariableNode[]; nodes?: VariableNode[] }


export class VariableStore {
  private handles = new Handles<Container>();

  constructor(private readonly debuggee: Debuggee) {}

  reset(): void { this.handles.reset(); }

  scopes(frame: FrameView): DebugProtocol.Scope[] {
    if (frame.label || !frame.regs) return [];
    const d = this.debuggee;
    const parse = (text: string): bigint => parseValue(d, frame, text);
    const scope = (name: string, children: () => VariableNode[], hint?: 'locals' | 'registers', expensive = false): DebugProtocol.Scope => ({
      name, presentationHint: hint, expensive, variablesReference: this.handles.create({ side: frame.side, children }),
    });
    const scopes: DebugProtocol.Scope[] = [];
    const memory = d.memory(frame.side);
    scopes.push(scope('Locals', () => d.symbolsFor(frame.side).locals(frame.regs!, memory, memory), 'locals'));
    if (this.debuggee.exit?.reason === ExitReason.VMCALL) scopes.push(scope('Hypercall', () => this.hypercall()));
    const guestLive = d.side === 'guest';
    if (frame.side === 'guest') {
      scopes.push(scope('Guest registers', () => (guestLive ? liveRegisters(d.machine, parse) : guestRegistersAtExit(d, parse)), 'registers'));
      scopes.push(scope('Host registers', () => (guestLive ? hostRegistersFromVmcs(d, parse) : liveRegisters(d.machine, parse)), 'registers', true));
    } else {
      scopes.push(scope('Host registers', () => (guestLive ? hostRegistersFromVmcs(d, parse) : liveRegisters(d.machine, parse)), 'registers'));
      if (d.exit) scopes.push(scope('Guest registers', () => guestRegistersAtExit(d, parse), 'registers', true));
    }
    if (d.machine.currentVmcs !== undefined) scopes.push(scope('VMCS', () => vmcsGroups(d, parse), undefined, true));
    scopes.push(scope(`Globals (${frame.side})`, () => d.symbolsFor(frame.side).globals(memory, memory), undefined, true));
    return scopes;
  }

  private hypercall(): VariableNode[] {
    const exit = this.debuggee.exit;
    if (!exit) return [];
    const g = exit.guestGprs;
    const nr = g[Reg.RAX];
    const arg = (name: string, v: bigint): VariableNode => ({ name, value: `0x${v.toString(16)}`, numeric: v });
    return [
      { name: 'nr', value: this.debuggee.hypercalls.describe(nr), numeric: nr, type: 'unsigned long' },
      arg('a0', g[Reg.RBX]), arg('a1', g[Reg.RCX]), arg('a2', g[Reg.RDX]), arg('a3', g[Reg.RSI]),
      arg('guest rip', exit.guestRip),
    ];
  }

  variables(reference: number): DebugProtocol.Variable[] {
    const container = this.handles.get(reference);
    if (!container) return [];
    container.nodes = container.children();
    return container.nodes.map((node) => this.toVariable(node, container.side));
  }

  /** A variable the client was shown, by its container and name. */
  find(reference: number, name: string): { node: VariableNode; side: Side } | undefined {
    const container = this.handles.get(reference);
    const node = container && (container.nodes ?? container.children()).find((n) => n.name === name);
    return node && container ? { node, side: container.side } : undefined;
  }

  toVariable(node: VariableNode, side: Side): DebugProtocol.Variable {
    const children = node.children;
    return {
      name: node.name,
      value: node.value,
      type: node.type,
      variablesReference: children ? this.handles.create({ side, children }) : 0,
      memoryReference: node.memoryReference !== undefined ? formatReference(node.memoryReference, side, topSide(this.debuggee)) : undefined,
    };
  }

  /** Writes through the variable's own location; returns its new presentation. */
  set(reference: number, name: string, text: string): DebugProtocol.Variable {
    const container = this.handles.get(reference);
    if (!container) throw new Error('That variable is no longer available; the program has moved on.');
    const node = (container.nodes ?? container.children()).find((n) => n.name === name);
    if (!node) throw new Error(`There is no variable named ${name} here.`);
    if (!node.assign) throw new Error(`${name} cannot be changed here.`);
    node.assign(text);
    const fresh = container.children().find((n) => n.name === name) ?? node;
    container.nodes = undefined;
    return this.toVariable(fresh, container.side);
  }
}
