// FileAccess for the adapter on vscode.workspace.fs, for VS Code for the Web where the
// extension host is a browser worker without Node's fs. Paths without a scheme are paths in
// the first workspace folder's file system, and the client is told each file by its URI there
// (a browser workbench would read a plain path as a file: URI it cannot open).

import * as vscode from 'vscode';
import type { FileAccess } from '../debug-adapter/fileAccess';

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/;

function toUri(path: string): vscode.Uri {
  if (SCHEME.test(path)) return vscode.Uri.parse(path);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? folder.with({ path }) : vscode.Uri.file(path);
}

function join(base: string, path: string): string {
  const parts = `${base}/${path}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return '/' + out.join('/');
}

export const workspaceFileAccess: FileAccess = {
  async kind(path) {
    try {
      return ((await vscode.workspace.fs.stat(toUri(path))).type & vscode.FileType.Directory) ? 'directory' : 'file';
    } catch {
      return 'missing';
    }
  },
  readFile: async (path) => vscode.workspace.fs.readFile(toUri(path)),
  resolve: (base, path) => (path.startsWith('/') || SCHEME.test(path) ? path : join(base, path)),
  cwd: () => vscode.workspace.workspaceFolders?.[0]?.uri.path ?? '/',
  uriOf: (path) => toUri(path).toString(),
  pathOf(name) {
    if (!SCHEME.test(name)) return undefined;
    const uri = vscode.Uri.parse(name);
    const home = toUri('/');
    return uri.scheme === home.scheme && uri.authority === home.authority ? uri.path : undefined;
  },
};
