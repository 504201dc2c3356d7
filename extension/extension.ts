// Desktop entry: the adapter runs inline in the extension host (Node), reading ELFs with fs;
// here alone, Hypercall: Run on Real KVM, which needs child processes.

import * as vscode from 'vscode';
import { HypercallDebugSession } from '../debug-adapter/session';
import { activateHypercallDebug } from './activate';
import { HypercallConfigurationProvider } from './configurationProvider';
import { showLastComparison } from './realKvm/compareView';
import { runOnRealKvm } from './realKvm/runOnRealKvm';
import { SHOW_COMPARISON_COMMAND } from './trace/panel';

export function activate(context: vscode.ExtensionContext): void {
  const panel = activateHypercallDebug(context, () => new HypercallDebugSession() as unknown as vscode.DebugAdapter);
  const provider = new HypercallConfigurationProvider(context.extensionUri);
  context.subscriptions.push(
    vscode.commands.registerCommand('hypercall.runOnRealKvm', () => runOnRealKvm(context.extensionUri, provider, panel)),
    vscode.commands.registerCommand(SHOW_COMPARISON_COMMAND, () => showLastComparison(context.extensionUri)),
  );
  // The palette offers it only where it is registered (a Node extension host, also behind a browser workbench).
  void vscode.commands.executeCommand('setContext', 'hypercall.canRunOnRealKvm', true);
}

export function deactivate(): void {}
