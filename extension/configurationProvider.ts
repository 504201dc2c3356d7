// Launch configurations for `hypercall`: F5 with no launch.json debugs the sample's guest
// (build/guest.elf of the folder), and a missing `host` becomes the folder's own build of the
// sample host or, failing that, the one the extension ships.

import * as vscode from 'vscode';
import { exists } from './uriExists';

export const DEBUG_TYPE = 'hypercall';

export function initialConfiguration(): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Debug hello-hypercall',
    guest: '${workspaceFolder}/build/guest.elf',
    host: '${workspaceFolder}/build/host.elf',
    stopOnEntry: false,
    trace: true,
  };
}

export class HypercallConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly extensionUri: vscode.Uri) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [initialConfiguration()];
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    folder ??= vscode.workspace.workspaceFolders?.[0];
    if (!config.type && !config.request && !config.name) {
      // F5 without launch.json: only meaningful where the sample's guest is built.
      if (!folder || !(await exists(vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf')))) {
        void vscode.window.showInformationMessage('No build/guest.elf in this folder: add a "hypercall" launch configuration whose "guest" names your guest ELF, or run "Hypercall: Open the hello-hypercall Sample".');
        return undefined;
      }
      config = { ...initialConfiguration(), guest: vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf').fsPath };
      delete config.host;
    }
    if (config.host === undefined) config.host = await this.defaultHost(folder);
    if (config.cwd === undefined && folder) config.cwd = folder.uri.fsPath;
    return config;
  }

  /** The folder's own build/host.elf (the user may have changed the host), else the shipped one. */
  private async defaultHost(folder: vscode.WorkspaceFolder | undefined): Promise<string> {
    const own = folder && vscode.Uri.joinPath(folder.uri, 'build', 'host.elf');
    if (own && (await exists(own))) return own.fsPath;
    return vscode.Uri.joinPath(this.extensionUri, 'samples', 'hello-hypercall', 'build', 'host.elf').fsPath;
  }
}
