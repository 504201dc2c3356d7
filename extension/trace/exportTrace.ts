// "Export Trace": writes the panel's trace as the ftrace text file (header first), which
// trace viewers such as Perfetto open as a systrace/ftrace text trace.

import * as vscode from 'vscode';
import type { TraceModel } from './traceModel';

/** `target` skips the save dialog (for callers that already know where). */
export async function exportTrace(model: TraceModel, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!target) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    target = await vscode.window.showSaveDialog({
      title: 'Export Trace',
      defaultUri: folder && vscode.Uri.joinPath(folder, 'trace.txt'),
      filters: { 'ftrace text': ['txt'] },
    });
    if (!target) return undefined;
  }
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(model.exportText()));
  void vscode.window.showInformationMessage(`Wrote ${model.retained} trace lines to ${target.scheme === 'file' ? target.fsPath : target.toString()}.`);
  return target;
}
