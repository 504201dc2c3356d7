// The "Real KVM vs model" page: a "Real KVM" tab with real KVM's console and ftrace text, and a
// "Compare" tab with hcdbg compare's verdict, aspect by aspect, above both traces lined up
// event by event (alignment.ts), every difference marked. Static HTML under a strict CSP.

import type { PanelResources } from '../trace/panelHtml';
import { webviewScript } from '../webviewScript';
import { alignTraces, type AlignedRow, type RowKind } from './alignment';

export interface RunSide { console: string; trace: string; status: number; ending: string }

/** `hcdbg compare --json`'s output (realkvm/cli.ts). */
export interface CompareResult {
  guest: string;
  where: 'native' | 'lab';
  /** The release of the kernel whose KVM ran the guest. */
  kernel: string;
  agree: boolean;
  aspects: { name: string; agree: boolean; summary: string; diff?: string; notes: string[] }[];
  model: RunSide;
  real: RunSide;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const MARK: Record<RowKind, { icon: string; title: string }> = {
  same: { icon: '', title: 'the same event on both' },
  changed: { icon: 'diff-modified', title: 'differs' },
  'model-only': { icon: 'diff-removed', title: 'only in the model' },
  'real-only': { icon: 'diff-added', title: 'only on real KVM' },
};

/** Which guest ran where, and the verdict: the page's first line, and the Trace panel's Real KVM tab's. */
export function summaryText(r: CompareResult): string {
  const where = r.where === 'lab' ? `the lab (Debian's Linux ${r.kernel} with kvm-amd in qemu)` : `this machine's /dev/kvm (Linux ${r.kernel})`;
  return `${r.guest} on ${where}: the model and real KVM ${r.agree ? 'agree' : 'differ'}`;
}

function verdictHtml(r: CompareResult): string {
  return r.aspects.map((a) => `<div class="aspect ${a.agree ? 'agree' : 'differ'}">
  <vscode-icon name="${a.agree ? 'pass' : 'error'}"></vscode-icon> <b>${a.agree ? 'agree' : 'DIFFER'}</b> ${escape(a.name)}: ${escape(a.summary)}
  ${a.notes.map((n) => `<div class="note">note: ${escape(n)}</div>`).join('')}
  ${a.diff ? `<pre class="diff">${escape(a.diff)}</pre>` : ''}
</div>`).join('\n');
}

/** A long line is cut to the column's width; its full text is the cell's tooltip. */
const cell = (text = '') => `<td title="${escape(text)}">${escape(text)}</td>`;

function rowsHtml(rows: readonly AlignedRow[]): string {
  return rows.map((row, i) => {
    const m = MARK[row.kind];
    return `<tr class="${row.kind}"><td class="n">${i + 1}</td><td class="mark" title="${m.title}">${m.icon ? `<vscode-icon name="${m.icon}"></vscode-icon>` : ''}</td>${cell(row.model)}${cell(row.real)}</tr>`;
  }).join('\n');
}

export function compareHtml(r: CompareResult, { cspSource, scriptUri, codiconCssUri, nonce }: PanelResources): string {
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`, `font-src ${cspSource}`].join('; ');
  const rows = alignTraces(r.model.trace, r.real.trace);
  const count = (k: RowKind) => rows.filter((row) => row.kind === k).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${codiconCssUri}" nonce="${nonce}">
  <style nonce="${nonce}">
    body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
    pre, table { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
    pre { white-space: pre; overflow-x: auto; background: var(--vscode-editor-background); padding: 4px 6px; margin: 4px 0; }
    .summary { padding: 4px 0 8px; }
    .aspect { padding: 2px 0; }
    .aspect.differ b, tr .mark vscode-icon { color: var(--vscode-errorForeground); }
    .aspect.agree vscode-icon { color: var(--vscode-testing-iconPassed); }
    .note { padding-left: 24px; color: var(--vscode-descriptionForeground); }
    .counts { color: var(--vscode-descriptionForeground); padding: 8px 0 4px; }
    table { border-collapse: collapse; width: 100%; table-layout: fixed; }
    col.n { width: 4em; } col.mark { width: 2em; }
    th { text-align: left; position: sticky; top: 0; background: var(--vscode-editor-background); }
    td { white-space: pre; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; line-height: 1.4; }
    td.n { color: var(--vscode-editorLineNumber-foreground); text-align: right; }
    td.mark { white-space: normal; } /* the icon's shadow template has line breaks */
    tr.changed { background: var(--vscode-diffEditor-unchangedRegionBackground, rgba(128, 128, 0, 0.2)); }
    tr.model-only td:nth-child(3) { background: var(--vscode-diffEditor-removedLineBackground); }
    tr.real-only td:nth-child(4) { background: var(--vscode-diffEditor-insertedLineBackground); }
  </style>
  ${webviewScript(scriptUri, nonce)}
  <title>Real KVM vs model</title>
</head>
<body>
  <div class="summary" id="summary">${escape(summaryText(r))}</div>
  <vscode-tabs selected-index="1">
    <vscode-tab-header slot="header"><vscode-icon name="server"></vscode-icon> Real KVM</vscode-tab-header>
    <vscode-tab-panel>
      <div>Guest console (${escape(r.real.ending)}):</div>
      <pre id="real-console">${escape(r.real.console)}</pre>
      <pre id="real-trace">${escape(r.real.trace)}</pre>
    </vscode-tab-panel>
    <vscode-tab-header slot="header"><vscode-icon name="diff"></vscode-icon> Compare</vscode-tab-header>
    <vscode-tab-panel>
      <div id="verdict">${verdictHtml(r)}</div>
      <div class="counts">${count('same')} events the same, ${count('changed')} changed, ${count('model-only')} only in the model, ${count('real-only')} only on real KVM</div>
      <table id="aligned">
        <colgroup><col class="n"><col class="mark"><col><col></colgroup>
        <thead><tr><th>#</th><th></th><th>Model</th><th>Real KVM</th></tr></thead>
        <tbody>
${rowsHtml(rows)}
        </tbody>
      </table>
    </vscode-tab-panel>
  </vscode-tabs>
</body>
</html>`;
}
