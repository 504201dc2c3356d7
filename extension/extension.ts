// Desktop entry: the adapter runs inline in the extension host (Node), reading ELFs with fs.

import type * as vscode from 'vscode';
import { HypercallDebugSession } from '../debug-adapter/session';
import { activateHypercallDebug } from './activate';

export function activate(context: vscode.ExtensionContext): void {
  activateHypercallDebug(context, () => new HypercallDebugSession() as unknown as vscode.DebugAdapter);
}

export function deactivate(): void {}
