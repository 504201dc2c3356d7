// "Export Trace": writes the panel's trace as ftrace text (header first, as
// /sys/kernel/tracing/trace prints it) or as a Chrome JSON trace, which Perfetto UI and
// chrome://tracing open with the kvm_* events that Perfetto's ftrace-text importer drops.
// With a filter on, the user picks between what the panel shows and everything. The save
// dialog proposes the folder of the last export, else the home folder: never the sources.

import * as vscode from 'vscode';
import type { ExportScope, TraceModel } from './traceModel';

export type TraceFormat = 'ftrace' | 'chrome';

const FORMATS: Record<TraceFormat, { label: string; detail: string; filter: string; extension: string }> = {
  ftrace: { label: 'ftrace text', detail: 'The /sys/kernel/tracing/trace layout: read it, diff it, grep it.', filter: 'ftrace text', extension: 'txt' },
  chrome: { label: 'Chrome JSON trace', detail: 'Opens in Perfetto UI (ui.perfetto.dev) and chrome://tracing: host and guest tracks, VM exits as slices.', filter: 'Chrome JSON trace', extension: 'json' },
};

/** globalState key: the folder of the last export. */
const LAST_FOLDER = 'hypercall.trace.exportFolder';

export interface ExportOptions {
  format?: TraceFormat;
  scope?: ExportScope;
}

async function pickFormat(): Promise<TraceFormat | undefined> {
  const items = (Object.keys(FORMATS) as TraceFormat[]).map((format) => ({ label: FORMATS[format].label, detail: FORMATS[format].detail, format }));
  return (await vscode.window.showQuickPick(items, { title: 'Export Trace: format', placeHolder: 'Which format?' }))?.format;
}

async function pickScope(model: TraceModel): Promise<ExportScope | undefined> {
  const items: (vscode.QuickPickItem & { scope: ExportScope })[] = [
    { label: 'What is shown', description: `${model.rowCount} lines`, detail: 'The lines the panel\'s filter shows.', scope: 'shown' },
    { label: 'Everything', description: `${model.retained} lines`, detail: 'Every line in the buffer, whatever the filter.', scope: 'all' },
  ];
  return (await vscode.window.showQuickPick(items, { title: 'Export Trace: which lines', placeHolder: 'The panel is filtered: export what it shows, or everything?' }))?.scope;
}

/** The last export's folder, else the home folder (where there is one), else above the workspace folder. */
function proposedFolder(state: vscode.Memento): vscode.Uri | undefined {
  const last = state.get<string>(LAST_FOLDER);
  if (last) return vscode.Uri.parse(last);
  const home = globalThis.process?.env?.HOME ?? globalThis.process?.env?.USERPROFILE;
  if (home) return vscode.Uri.file(home);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder && vscode.Uri.joinPath(folder, '..');
}

/** `target` with the format's extension, added when the name has another one or none. */
export function withExtension(target: vscode.Uri, extension: string): vscode.Uri {
  return target.path.toLowerCase().endsWith(`.${extension}`) ? target : target.with({ path: `${target.path}.${extension}` });
}

/**
 * Asks what it is not told: format, which lines (only while a filter hides some), where.
 * `target` skips the save dialog (for callers that already know where).
 */
export async function exportTrace(model: TraceModel, state: vscode.Memento, target?: vscode.Uri, options: ExportOptions = {}): Promise<vscode.Uri | undefined> {
  const format = options.format ?? await pickFormat();
  if (!format) return undefined;
  const scope = options.scope ?? (model.rowCount === model.retained ? 'all' : await pickScope(model));
  if (!scope) return undefined;
  const { extension, filter } = FORMATS[format];
  if (!target) {
    const folder = proposedFolder(state);
    target = await vscode.window.showSaveDialog({
      title: `Export Trace (${FORMATS[format].label})`,
      defaultUri: folder && vscode.Uri.joinPath(folder, `trace.${extension}`),
      filters: { [filter]: [extension] },
    });
    if (!target) return undefined;
  }
  target = withExtension(target, extension);
  const text = format === 'chrome' ? model.exportChrome(scope) : model.exportText(scope);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  await state.update(LAST_FOLDER, vscode.Uri.joinPath(target, '..').toString());
  const lines = scope === 'all' ? model.retained : model.rowCount;
  void vscode.window.showInformationMessage(`Wrote ${lines} trace lines as ${FORMATS[format].label} to ${target.scheme === 'file' ? target.fsPath : target.toString()}.`);
  return target;
}
