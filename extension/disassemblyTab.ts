// The Disassembly tab outlives the session that opened it and then shows only "Disassembly
// not available". When the last hypercall session ends (and no other debug session runs),
// close it: the ELFs' sources stay open, the machine's memory is gone.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from './configurationProvider';

/** VS Code's Disassembly view has no tab input type of its own in the API: known by its label. */
const DISASSEMBLY_LABEL = 'Disassembly';

export function closeDisassemblyWhenDone(): vscode.Disposable {
  return vscode.debug.onDidTerminateDebugSession((ended) => {
    const active = vscode.debug.activeDebugSession;
    if (ended.type !== DEBUG_TYPE || (active && active.id !== ended.id)) return;
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs)
      .filter((tab) => tab.input === undefined && tab.label === DISASSEMBLY_LABEL);
    if (tabs.length) void vscode.window.tabGroups.close(tabs);
  });
}
