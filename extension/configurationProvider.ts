// Launch configurations for `hypercall`: F5 with no launch.json debugs the sample's guest
// (build/guest.elf of the folder), and a missing `host` becomes the folder's own build of the
// sample host or, failing that, the one the extension ships. Where the folder can be built
// (Makefile + include/kvm_para.h), the configuration rebuilds first (preLaunchTask).

import * as vscode from 'vscode';
import { BUILD_TASK_LABEL, isBuildableFolder } from './buildTask';
import { exists } from './uriExists';

export const DEBUG_TYPE = 'hypercall';

/** The configuration the sample's .vscode/launch.json holds (a unit test keeps the two equal). */
export function launchConfiguration(rebuild: boolean): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Debug hello-hypercall',
    guest: '${workspaceFolder}/build/guest.elf',
    host: '${workspaceFolder}/build/host.elf',
    stopOnEntry: false,
    trace: true,
    ...(rebuild ? { preLaunchTask: BUILD_TASK_LABEL } : {}),
  };
}

export class HypercallConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    folder ??= vscode.workspace.workspaceFolders?.[0];
    return [launchConfiguration(folder !== undefined && (await isBuildableFolder(folder)))];
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    folder ??= vscode.workspace.workspaceFolders?.[0];
    if (!config.type && !config.request && !config.name) {
      // F5 without launch.json: only meaningful where the sample's guest is built.
      if (!folder || !(await exists(vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf')))) {
        void vscode.window.showInformationMessage('No build/guest.elf in this folder: add a "hypercall" launch configuration whose "guest" names your guest ELF, or run "Hypercall: Open the hello-hypercall Sample".');
        return undefined;
      }
      config = { ...launchConfiguration(await isBuildableFolder(folder)), guest: vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf').fsPath };
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
