// The "hypercall: build" task (Ctrl+Shift+B, and the sample's preLaunchTask): `make` in a folder
// with a hypercall setup, its gcc diagnostics read by the $hypercall-gcc problem matcher. The
// tool check runs in the same shell as the build (on a remote or in the browser that is not the
// extension host's machine). Without gcc or make it says in one sentence what to install; if
// the folder's ELFs are already built it still succeeds, so F5 debugs them. In the browser's
// extension host VS Code runs only CustomExecution tasks: there the task says it cannot build
// and, the same way, lets F5 go on with the ELFs already built.

import * as vscode from 'vscode';
import { exists } from './uriExists';

export const TASK_TYPE = 'hypercall';
export const BUILD_TASK = 'build';
/** The label VS Code gives the provided task ("<source>: <name>"), which preLaunchTask names. */
export const BUILD_TASK_LABEL = `${TASK_TYPE}: ${BUILD_TASK}`;
export const PROBLEM_MATCHER = '$hypercall-gcc';
export const MISSING_TOOLS = 'Rebuilding needs gcc and make (Debian: apt-get install gcc make)';
export const USING_BUILT_ELFS = 'Debugging the ELFs already in build/, without source edits made since they were built.';
const BROWSER_CANNOT_BUILD = 'The extension runs in the browser here, which cannot run make: rebuild in a terminal with `make` (gcc and make needed)';
/** The exit status of the task when a tool is missing and nothing is built yet (the shell's "command not found"). */
export const EXIT_MISSING_TOOLS = 127;

// $1: MISSING_TOOLS, $2: USING_BUILT_ELFS. Exit 0 after the sentence if both ELFs exist: debugging them still works.
export const BUILD_SCRIPT = [
  'missing=',
  'for tool in gcc make; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done',
  '[ -z "$missing" ] && exec make',
  'echo "$1; not found:$missing."',
  'if [ -f build/guest.elf ] && [ -f build/host.elf ]; then echo "$2"; exit 0; fi',
  `exit ${EXIT_MISSING_TOOLS}`,
].join('\n');

/** A folder the build task applies to: the sample's Makefile and include/kvm_para.h. */
export async function isBuildableFolder(folder: vscode.WorkspaceFolder): Promise<boolean> {
  return (await exists(vscode.Uri.joinPath(folder.uri, 'Makefile'))) && exists(vscode.Uri.joinPath(folder.uri, 'include', 'kvm_para.h'));
}

/** The task in the browser: one sentence, then success if the ELFs are there to debug. */
function cannotBuildHere(folder: vscode.WorkspaceFolder): vscode.CustomExecution {
  return new vscode.CustomExecution(async () => {
    const write = new vscode.EventEmitter<string>();
    const done = new vscode.EventEmitter<number>();
    return {
      onDidWrite: write.event,
      onDidClose: done.event,
      close: () => undefined,
      open: async () => {
        const built = (await exists(vscode.Uri.joinPath(folder.uri, 'build', 'guest.elf'))) && (await exists(vscode.Uri.joinPath(folder.uri, 'build', 'host.elf')));
        write.fire(`${BROWSER_CANNOT_BUILD}.\r\n${built ? `${USING_BUILT_ELFS}\r\n` : ''}`);
        done.fire(built ? 0 : EXIT_MISSING_TOOLS);
      },
    };
  });
}

function buildTask(folder: vscode.WorkspaceFolder, definition: vscode.TaskDefinition, inBrowser: boolean): vscode.Task {
  const execution = inBrowser
    ? cannotBuildHere(folder)
    : new vscode.ProcessExecution('/bin/sh', ['-c', BUILD_SCRIPT, 'sh', MISSING_TOOLS, USING_BUILT_ELFS], { cwd: folder.uri.fsPath });
  const task = new vscode.Task(definition, folder, BUILD_TASK, TASK_TYPE, execution, [PROBLEM_MATCHER]);
  task.group = vscode.TaskGroup.Build;
  return task;
}

class BuildTaskProvider implements vscode.TaskProvider {
  constructor(private readonly inBrowser: boolean) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (await isBuildableFolder(folder)) tasks.push(buildTask(folder, { type: TASK_TYPE, task: BUILD_TASK }, this.inBrowser));
    }
    return tasks;
  }

  /** A task from tasks.json: keep its definition object, as VS Code requires. */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    return task.definition.task === BUILD_TASK && folder ? buildTask(folder, task.definition, this.inBrowser) : undefined;
  }
}

export function registerBuildTask(extension: vscode.Extension<unknown>): vscode.Disposable {
  // In a browser, an extension running where the UI is runs in the web worker extension host.
  const inBrowser = vscode.env.uiKind === vscode.UIKind.Web && extension.extensionKind === vscode.ExtensionKind.UI;
  return vscode.Disposable.from(
    vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider(inBrowser)),
    // The terminal says it too, but the Debug Console takes its place once a session starts.
    vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === TASK_TYPE && e.exitCode === EXIT_MISSING_TOOLS) {
        void vscode.window.showErrorMessage(`${inBrowser ? BROWSER_CANNOT_BUILD : `${MISSING_TOOLS}: this machine lacks one of them`}, and the folder has no built guest.elf and host.elf to debug instead.`);
      }
    }),
  );
}
