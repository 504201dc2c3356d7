// Whether a file or folder exists, through VS Code's file system (so it also works on the web
// and on remote workspaces, where node:fs cannot reach).

import * as vscode from 'vscode';

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
