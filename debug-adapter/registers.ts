// Register views for the Variables pane: the CPU's live registers (the running side), the
// guest's state while the host handles an exit (GPRs saved at the exit + VMCS guest-state
// area), and the host's state while the guest runs (VMCS host-state area). RFLAGS is decoded.

import { CpuState, GPR_NAMES, SEG_NAMES, type Segment } from '../emulator/cpu/state';
import { Field } from '../emulator/vmx/fields';
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

/** The CPU's own registers, writable. */
export function liveRegisters(cpu: CpuState, parse: ValueParser): VariableNode[] {
  return [
    ...GPR_NAMES.map((name, i) => pointerRegister(name, cpu.gpr[i], (v) => { cpu.gpr[i] = BigInt.asUintN(64, v); }, parse)),
    pointerRegister('rip', cpu.rip, (v) => { cpu.rip = BigInt.asUintN(64, v); }, parse),
    scalar('rflags', BigInt(cpu.getRflags()), (v) => cpu.setRflags(Number(v & 0xffffffffn)), parse, describeRflags(BigInt(cpu.getRflags()))),
    scalar('cr0', BigInt(cpu.cr0)), scalar('cr2', cpu.cr2), scalar('cr3', cpu.cr3), scalar('cr4', BigInt(cpu.cr4)),
    scalar('efer', BigInt(cpu.efer)),
    ...SEG_NAMES.map((name, i) => segmentNode(name, cpu.seg[i])),
    scalar('gdtr.base', cpu.gdtr.base), scalar('idtr.base', cpu.idtr.base),
    scalar('cpl', BigInt(cpu.cpl), undefined, undefined, String(cpu.cpl)),
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

/** A register of the running side by name (rax, eax is not offered), for evaluate and conditions. */
export function registerValue(cpu: CpuState, name: string): bigint | undefined {
  const i = (GPR_NAMES as readonly string[]).indexOf(name);
  if (i >= 0) return cpu.gpr[i];
  switch (name) {
    case 'rip': case 'pc': return cpu.rip;
    case 'rflags': case 'eflags': return BigInt(cpu.getRflags());
    case 'cr0': return BigInt(cpu.cr0);
    case 'cr2': return cpu.cr2;
    case 'cr3': return cpu.cr3;
    case 'cr4': return BigInt(cpu.cr4);
    case 'efer': return BigInt(cpu.efer);
    default: return undefined;
  }
}
