// F5 in a folder with a hypercall setup (include/kvm_para.h or build/guest.elf, the
// workspaceContains activation events) that has no launch configuration: VS Code would ask
// "Select debugger" unless a C file is active, and its Run view would only say "No
// Configurations". The shipped sample carries its own .vscode/launch.json and tasks.json;
// for any other such folder the context key `hypercall.needsLaunchConfig` routes F5 to
// "Debug This Folder's Guest" (package.json keybindings) and puts that and "Add launch.json
// and tasks.json" into the Run view's welcome content.

import * as vscode from 'vscode';
import { BUILD_TASK, BUILD_TASK_LABEL, PROBLEM_MATCHER, TASK_TYPE, isBuildableFolder } from './buildTask';
import { DEBUG_TYPE, launchConfiguration } from './configurationProvider';
import { exists } from './uriExists';

/** The folder is a hypercall setup (the walkthrough's "Open the sample" is done). */
export const HAS_SETUP = 'hypercall.folderHasSetup';
/** ... and it has no launch configuration of any kind. */
export const NEEDS_LAUNCH_CONFIG = 'hypercall.needsLaunchConfig';

export async function hasHypercallSetup(folder: vscode.WorkspaceFolder): Promise<boolean> {
  return (await exists(vscode.Uri.joinPath(folder.uri, 'include', 'kvm_para.h'))) || exists(vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf'));
}

function launchConfigurations(folder: vscode.WorkspaceFolder): vscode.DebugConfiguration[] {
  return vscode.workspace.getConfiguration('launch', folder.uri).get<vscode.DebugConfiguration[]>('configurations') ?? [];
}

async function setupFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) if (await hasHypercallSetup(folder)) return folder;
  return undefined;
}

async function updateContext(): Promise<void> {
  const folder = await setupFolder();
  await vscode.commands.executeCommand('setContext', HAS_SETUP, folder !== undefined);
  await vscode.commands.executeCommand('setContext', NEEDS_LAUNCH_CONFIG, folder !== undefined && launchConfigurations(folder).length === 0);
}

/** The folder's own hypercall launch configuration if it has one, else the default one. */
async function debugFolder(overrides: Partial<vscode.DebugConfiguration>): Promise<void> {
  const folder = await setupFolder();
  if (!folder) {
    void vscode.window.showErrorMessage('This workspace has no include/kvm_para.h or build/guest.elf: run "Hypercall: Open the hello-hypercall Sample" first.');
    return;
  }
  const own = launchConfigurations(folder).find((c) => c.type === DEBUG_TYPE && c.request === 'launch');
  const base = own ?? launchConfiguration(await isBuildableFolder(folder));
  await vscode.debug.startDebugging(folder, { ...base, ...overrides });
}

async function addLaunchConfiguration(): Promise<void> {
  const folder = await setupFolder();
  if (!folder) return;
  const buildable = await isBuildableFolder(folder);
  const launch = vscode.workspace.getConfiguration('launch', folder.uri);
  await launch.update('configurations', [...launchConfigurations(folder), launchConfiguration(buildable)], vscode.ConfigurationTarget.WorkspaceFolder);
  if (buildable) {
    const tasks = vscode.workspace.getConfiguration('tasks', folder.uri);
    const existing = tasks.get<vscode.TaskDefinition[]>('tasks') ?? [];
    if (!existing.some((t) => t.type === TASK_TYPE && t.task === BUILD_TASK)) {
      await tasks.update('version', '2.0.0', vscode.ConfigurationTarget.WorkspaceFolder);
      await tasks.update('tasks', [...existing, buildTaskEntry()], vscode.ConfigurationTarget.WorkspaceFolder);
    }
  }
  await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, '.vscode', 'launch.json'));
}

/** The tasks.json entry the sample ships: the provided build task as the default build. */
export function buildTaskEntry(): vscode.TaskDefinition {
  return { type: TASK_TYPE, task: BUILD_TASK, label: BUILD_TASK_LABEL, problemMatcher: [PROBLEM_MATCHER], group: { kind: 'build', isDefault: true } };
}

export function registerFolderSetup(): vscode.Disposable {
  void updateContext();
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('launch')) void updateContext(); }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void updateContext()),
    vscode.commands.registerCommand('hypercall.debug', () => debugFolder({})),
    vscode.commands.registerCommand('hypercall.debugFromEntry', () => debugFolder({ stopOnEntry: true })),
    vscode.commands.registerCommand('hypercall.addLaunchConfiguration', () => addLaunchConfiguration()),
  );
}
