// "Open the hello-hypercall Sample": copies the sample the extension ships (sources and its
// built ELFs) into a folder the user owns and opens that folder as the workspace.

import * as vscode from 'vscode';
import { exists } from './uriExists';

const SAMPLE = 'hello-hypercall';

/** parent/hello-hypercall, or hello-hypercall-2, -3, ... if that is taken. */
async function freeFolder(parent: vscode.Uri): Promise<vscode.Uri> {
  for (let n = 1; ; n++) {
    const candidate = vscode.Uri.joinPath(parent, n === 1 ? SAMPLE : `${SAMPLE}-${n}`);
    if (!(await exists(candidate))) return candidate;
  }
}

export async function openSample(context: vscode.ExtensionContext): Promise<void> {
  const storage: vscode.QuickPickItem = { label: '$(folder-library) Extension storage', description: 'keep it with the extension\'s data' };
  const choose: vscode.QuickPickItem = { label: '$(folder-opened) Choose a folder...', description: 'put a copy where you want it' };
  const pick = await vscode.window.showQuickPick([storage, choose], { title: 'Where should the hello-hypercall sample go?' });
  if (!pick) return;
  let parent = context.globalStorageUri;
  if (pick === choose) {
    const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Put the sample here' });
    if (!chosen?.length) return;
    parent = chosen[0];
  }
  const source = vscode.Uri.joinPath(context.extensionUri, 'samples', SAMPLE);
  const target = await freeFolder(parent);
  try {
    await vscode.workspace.fs.createDirectory(parent);
    await vscode.workspace.fs.copy(source, target, { overwrite: false });
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not copy the hello-hypercall sample to ${target.fsPath}: ${(e as Error).message}`);
    return;
  }
  await vscode.commands.executeCommand('vscode.openFolder', target, { forceNewWindow: false });
}
