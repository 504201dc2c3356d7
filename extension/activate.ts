// The one activation both entries share (desktop extension.ts, browser web.ts): the debugger
// with its inline adapter, the configuration provider, the Trace panel and the commands.
// The adapter is reached only through DAP; the entry decides how to construct it.

import * as vscode from 'vscode';
import { registerBuildTask } from './buildTask';
import { DEBUG_TYPE, HypercallConfigurationProvider } from './configurationProvider';
import { closeDisassemblyWhenDone } from './disassemblyTab';
import { registerFolderSetup } from './folderSetup';
import { createHypercall } from './hypercall/createHypercall';
import { openSample } from './openSample';
import { registerReverseStepOut } from './reverseStepOut';
import { exportTrace, type ExportOptions } from './trace/exportTrace';
import { TRACE_VIEW_ID, TracePanel } from './trace/panel';
import { WalkthroughProgress } from './walkthroughProgress';

/** Makes one debug adapter per session, run inside the extension host. */
export type AdapterFactory = () => vscode.DebugAdapter;

class InlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly create: AdapterFactory) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(this.create());
  }
}

export function activateHypercallDebug(context: vscode.ExtensionContext, createAdapter: AdapterFactory): TracePanel {
  const panel = new TracePanel(context.extensionUri);
  const provider = new HypercallConfigurationProvider(context.extensionUri);
  const progress = new WalkthroughProgress();
  context.subscriptions.push(
    panel,
    vscode.window.registerWebviewViewProvider(TRACE_VIEW_ID, panel),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new InlineAdapterFactory(createAdapter)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    closeDisassemblyWhenDone(),
    vscode.commands.registerCommand('hypercall.openSample', () => openSample(context)),
    vscode.commands.registerCommand('hypercall.createHypercall', () => createHypercall().then((plan) => plan && progress.hypercallAdded(plan.traceText))),
    vscode.commands.registerCommand('hypercall.showTrace', () => panel.show()),
    vscode.commands.registerCommand('hypercall.exportTrace', (target?: unknown, options?: ExportOptions) => exportTrace(panel.model, context.globalState, target instanceof vscode.Uri ? target : undefined, options)),
    registerBuildTask(context.extension), registerFolderSetup(), registerReverseStepOut(), progress.register(),
  );
  return panel;
}
