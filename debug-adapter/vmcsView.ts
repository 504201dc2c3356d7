// The current VMCS for the Variables pane, in the SDM's groups (vol. 3C 25.3-25.9): guest
// state, host state, controls, and VM-exit information with the exit reason and the
// VM-instruction error decoded. A field that changed since the last VM exit says so and
// shows the value the exit left as a child ("what did the host change before VMRESUME?").
// Every field can be changed (VMWRITE semantics, no checks).

import { Field, VMCS_FIELDS, VM_INSTRUCTION_ERROR_MESSAGES, exitReasonName, type FieldGroup } from '../emulator/api';
import type { Debuggee } from './debuggee';
import type { VariableNode } from './programSymbols';
import type { ValueParser } from './registers';

const GROUP_TITLES: Array<[FieldGroup, string]> = [
  ['exit-info', 'VM-exit information'], ['guest', 'Guest state'], ['host', 'Host state'], ['control', 'Controls'],
];

function shown(encoding: number, value: bigint): string {
  const hex = `0x${value.toString(16)}`;
  if (encoding === Field.VM_EXIT_REASON) {
    const basic = Number(value & 0xffffn);
    const failed = (value & 0x80000000n) !== 0n ? ' | FAILED_VMENTRY' : '';
    return `${hex} (${exitReasonName(basic)}${failed})`;
  }
  if (encoding === Field.VM_INSTRUCTION_ERROR && value !== 0n) {
    return `${value} (${VM_INSTRUCTION_ERROR_MESSAGES[Number(value)] ?? 'unknown error'})`;
  }
  return hex;
}

export function vmcsGroups(d: Debuggee, parse: ValueParser): VariableNode[] {
  const vmcs = d.machine.currentVmcs;
  if (vmcs === undefined) return [{ name: 'VMCS', value: 'no current VMCS (VMPTRLD has not run)' }];
  return [
    { name: 'address', value: `0x${vmcs.toString(16)}`, numeric: vmcs },
    ...GROUP_TITLES.map(([group, title]): VariableNode => ({
      name: title, value: '',
      children: () => VMCS_FIELDS.filter((f) => f.group === group).map((f): VariableNode => {
        const value = d.machine.vmcsRead(f.encoding) ?? 0n;
        const atExit = d.machine.vmcsAtLastExit(f.encoding);
        const node: VariableNode = { name: f.name, value: shown(f.encoding, value), numeric: value, assign: (text) => { d.machine.vmcsWrite(f.encoding, parse(text)); } };
        if (atExit === undefined || atExit === value) return node;
        return {
          ...node, value: `${node.value} (changed since the VM exit)`,
          children: () => [{ name: 'at the VM exit', value: shown(f.encoding, atExit), numeric: atExit }],
        };
      }),
    })),
  ];
}
