// How files are named to the client (DAP's pathFormat: "path" or "uri"). The adapter works on
// file system paths. A desktop VS Code takes them as they are; a browser workbench (VS Code
// for the Web, code-server's web worker extension host) reads a plain path as a file: URI it
// has no file system for, so there every file is named by a URI of the workspace's own file
// system ("vscode-remote://host:8080/home/me/sample/host/x86.c"), as the file access that
// reads them spells it. This is the one place paths become the client's names and back.

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FileAccess } from './fileAccess';

export class PathFormat {
  constructor(private readonly fs: Pick<FileAccess, 'uriOf' | 'pathOf'>) {}

  /** The client's name for an absolute path; relative ones (files that were not found) stay as they are. */
  toClient(path: string): string {
    return this.fs.uriOf && path.startsWith('/') ? this.fs.uriOf(path) : path;
  }

  /** The path of a file the client named: a URI of the workspace's file system, or a plain path. */
  fromClient(name: string): string {
    return this.fs.pathOf?.(name) ?? name;
  }

  /** A DAP Source for the file at `path`. */
  source(path: string): DebugProtocol.Source {
    return { name: path.split('/').pop(), path: this.toClient(path) };
  }
}
