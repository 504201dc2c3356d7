// Register views for the Variables pane: the CPU's live registers (the running side), the
// guest's state while the host handles an exit (GPRs saved at the exit + VMCS guest-state
// area), and the host's state while the guest runs (VMCS host-state area). RFLAGS is decoded.

import { Field, GPR_NAMES, SEG_NAMES, type MachineApi, type RegisterName, type Segment } from '../emulator/api';
import type { Debuggee } from './debuggee';
import type { VariableNode } from './programSymbols';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

// RFLAGS bits by name (SDM vol. 1 3.4.3).
const RFLAGS_BITS: Array<[number, string]> = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];

export function describeRflags(value: bigint): string {
  const v = Number(value & 0xffffffffn);
  const flags = RFLAGS_BITS.filter(([bit]) => (v >>> bit) & 1).map(([, name]) => name);
  const iopl = (v >>> 12) & 3;
  if (iopl) flags.push(`IOPL=${iopl}`);
  return `${hex(value)} [${flags.join(' ')}]`;
}

/** Parses a new register value the user typed (set by the session: C expressions in the frame). */
export type ValueParser = (text: string) => bigint;

function scalar(name: string, value: bigint, set?: (v: bigint) => void, parse?: ValueParser, shown = hex(value)): VariableNode {
  return { name, value: shown, numeric: value, assign: set && parse ? (text) => set(parse(text)) : undefined };
}

/** A register that may hold an address (GPRs, RIP): the memory view can open at its value. */
function pointerRegister(name: string, value: bigint, set?: (v: bigint) => void, parse?: ValueParser): VariableNode {
  return { ...scalar(name, value, set, parse), memoryReference: value };
}

function segmentNode(name: string, seg: Segment): VariableNode {
  return {
    name, value: `${hex(seg.selector)} (base ${hex(seg.base)}, limit ${hex(seg.limit)}, attrs ${hex(seg.attrs)})`, numeric: BigInt(seg.selector),
    children: () => [scalar('selector', BigInt(seg.selector)), scalar('base', seg.base), scalar('limit', BigInt(seg.limit)), scalar('attrs', BigInt(seg.attrs))],
  };
}

/** The CPU's own registers; GPRs, RIP and RFLAGS writable (through the machine, which keeps its caches right). */
export function liveRegisters(machine: MachineApi, parse: ValueParser): VariableNode[] {
  const reg = (name: RegisterName) => machine.register(name);
  const set = (name: RegisterName) => (v: bigint) => machine.setRegister(name, v);
  return [
    ...GPR_NAMES.map((name) => pointerRegister(name, reg(name), set(name), parse)),
    pointerRegister('rip', reg('rip'), set('rip'), parse),
    scalar('rflags', reg('rflags'), set('rflags'), parse, describeRflags(reg('rflags'))),
    scalar('cr0', reg('cr0')), scalar('cr2', reg('cr2')), scalar('cr3', reg('cr3')), scalar('cr4', reg('cr4')),
    scalar('efer', reg('efer')),
    ...SEG_NAMES.map((name, i) => segmentNode(name, machine.segment(i))),
    scalar('gdtr.base', reg('gdtr.base')), scalar('idtr.base', reg('idtr.base')),
    scalar('cpl', BigInt(machine.cpl), undefined, undefined, String(machine.cpl)),
  ];
}

function vmcsScalar(d: Debuggee, name: string, field: number, parse: ValueParser, shown?: (v: bigint) => string): VariableNode | undefined {
  const value = d.machine.vmcsRead(field);
  if (value === undefined) return undefined;
  return scalar(name, value, (v) => { d.machine.vmcsWrite(field, v); }, parse, shown?.(value));
}

const GUEST_SEGMENT_SELECTORS = [Field.GUEST_ES_SELECTOR, Field.GUEST_CS_SELECTOR, Field.GUEST_SS_SELECTOR, Field.GUEST_DS_SELECTOR, Field.GUEST_FS_SELECTOR, Field.GUEST_GS_SELECTOR, Field.GUEST_LDTR_SELECTOR, Field.GUEST_TR_SELECTOR];

/** The guest's registers while the host runs: GPRs as saved at the exit, the rest from the VMCS. */
export function guestRegistersAtExit(d: Debuggee, parse: ValueParser): VariableNode[] {
  const exit = d.exit;
  const nodes: (VariableNode | undefined)[] = [];
  if (exit) nodes.push(...GPR_NAMES.map((name, i) => (name === 'rsp' ? undefined : pointerRegister(name, exit.guestGprs[i]))));
  nodes.push(
    vmcsScalar(d, 'rsp', Field.GUEST_RSP, parse),
    vmcsScalar(d, 'rip', Field.GUEST_RIP, parse),
    vmcsScalar(d, 'rflags', Field.GUEST_RFLAGS, parse, describeRflags),
    vmcsScalar(d, 'cr0', Field.GUEST_CR0, parse), vmcsScalar(d, 'cr3', Field.GUEST_CR3, parse), vmcsScalar(d, 'cr4', Field.GUEST_CR4, parse),
    vmcsScalar(d, 'efer', Field.GUEST_IA32_EFER, parse),
    ...SEG_NAMES.map((name, i) => vmcsScalar(d, name, GUEST_SEGMENT_SELECTORS[i], parse)),
  );
  return nodes.filter((n): n is VariableNode => n !== undefined);
}

/** The host's registers while the guest runs: what the next VM exit loads (VMCS host-state area). */
export function hostRegistersFromVmcs(d: Debuggee, parse: ValueParser): VariableNode[] {
  const fields: Array<[string, number]> = [
    ['rip', Field.HOST_RIP], ['rsp', Field.HOST_RSP], ['cr0', Field.HOST_CR0], ['cr3', Field.HOST_CR3], ['cr4', Field.HOST_CR4],
    ['efer', Field.HOST_IA32_EFER], ['cs', Field.HOST_CS_SELECTOR], ['ss', Field.HOST_SS_SELECTOR], ['ds', Field.HOST_DS_SELECTOR],
    ['es', Field.HOST_ES_SELECTOR], ['fs', Field.HOST_FS_SELECTOR], ['gs', Field.HOST_GS_SELECTOR], ['tr', Field.HOST_TR_SELECTOR],
    ['fs.base', Field.HOST_FS_BASE], ['gs.base', Field.HOST_GS_BASE], ['tr.base', Field.HOST_TR_BASE],
    ['gdtr.base', Field.HOST_GDTR_BASE], ['idtr.base', Field.HOST_IDTR_BASE],
  ];
  return fields.map(([name, f]) => vmcsScalar(d, name, f, parse)).filter((n): n is VariableNode => n !== undefined);
}

const EVALUATED: ReadonlySet<string> = new Set([...GPR_NAMES, 'rip', 'rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'efer']);
const ALIASES: Record<string, RegisterName> = { pc: 'rip', eflags: 'rflags' };

/** A register of the running side by name (rax, eax is not offered), for evaluate and conditions. */
export function registerValue(machine: MachineApi, name: string): bigint | undefined {
  const register = ALIASES[name] ?? (EVALUATED.has(name) ? name as RegisterName : undefined);
  return register === undefined ? undefined : machine.register(register);
}
