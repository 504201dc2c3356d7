// Reverse step out (the adapter's `hypercall/reverseStepOut`; DAP has no such request): a
// debug toolbar button beside VS Code's Step Back and Reverse Continue, and a palette command,
// for hypercall sessions that are stopped.

import * as vscode from 'vscode';
import { REVERSE_STEP_OUT } from '../debug-adapter/traceEvents';
import { DEBUG_TYPE } from './configurationProvider';

export const REVERSE_STEP_OUT_COMMAND = 'hypercall.reverseStepOut';

async function reverseStepOut(): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== DEBUG_TYPE) return;
  try {
    await session.customRequest(REVERSE_STEP_OUT, {});
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error).message);
  }
}

export function registerReverseStepOut(): vscode.Disposable {
  return vscode.commands.registerCommand(REVERSE_STEP_OUT_COMMAND, reverseStepOut);
}
