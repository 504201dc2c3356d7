// Browser entry (VS Code for the Web): the extension host is a web worker, so the inline
// adapter, and with it the emulator, runs in that worker and reads files through
// vscode.workspace.fs.

import type * as vscode from 'vscode';
import { HypercallDebugSession } from '../debug-adapter/session';
import { activateHypercallDebug } from './activate';
import { workspaceFileAccess } from './workspaceFileAccess';

export function activate(context: vscode.ExtensionContext): void {
  activateHypercallDebug(context, () => new HypercallDebugSession({ fileAccess: workspaceFileAccess }) as unknown as vscode.DebugAdapter);
}

export function deactivate(): void {}
