// The Trace panel's HTML: strict CSP (nothing but our own script, styles and font, each
// authorised by a per-load nonce or the webview's own origin), codicons from the extension's
// own files, and the element skeleton extension/webview/main.ts fills.

import { webviewScript } from '../webviewScript';
import { TRACE_EVENTS } from './messages';

export interface PanelResources {
  /** webview.cspSource */
  cspSource: string;
  scriptUri: string;
  codiconCssUri: string;
  nonce: string;
}

export function panelHtml({ cspSource, scriptUri, codiconCssUri, nonce }: PanelResources): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
  const checkboxes = TRACE_EVENTS.map((e) => `<vscode-checkbox data-event="${e}" label="${e}" checked>${e}</vscode-checkbox>`).join('\n        ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${codiconCssUri}" nonce="${nonce}">
  <style nonce="${nonce}">
    html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
    body { display: flex; flex-direction: column; color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
    vscode-tabs { flex: 1; min-height: 0; display: flex; flex-direction: column; }
    .pane { display: flex; flex-direction: column; height: calc(100vh - 40px); }
    .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; padding: 4px 0; }
    .toolbar vscode-textfield { min-width: 180px; flex: 0 1 280px; }
    .toolbar .spring { flex: 1; }
    .counts { color: var(--vscode-descriptionForeground); white-space: nowrap; }
    #viewport {
      position: relative; flex: 1; min-height: 0; overflow: auto; outline: none;
      background: var(--vscode-editor-background); color: var(--vscode-editor-foreground);
      font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size);
      font-weight: var(--vscode-editor-font-weight);
    }
    #viewport:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    #spacer { width: 1px; }
    #rows { position: absolute; top: 0; left: 0; min-width: 100%; will-change: transform; }
    .row { white-space: pre; line-height: 1.4; padding: 0 6px; cursor: default; }
    .row.header { color: var(--vscode-descriptionForeground); cursor: pointer; }
    .row.header.fold::after { content: '   ' attr(data-hint); font-style: italic; }
    .row:not(.header):hover { background: var(--vscode-list-hoverBackground); }
    .row.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
    /* The session's current moment, and the lines that have not happened yet in this timeline. */
    .row.current { box-shadow: inset 3px 0 var(--vscode-debugIcon-stepBackForeground, var(--vscode-focusBorder)); background: var(--vscode-editor-stackFrameHighlightBackground); }
    .row.future { opacity: 0.45; }
    /* Sticky at the panel's right edge: a kvm_exit line is wider than the panel, and the button must not need a horizontal scroll. */
    .row .go-to {
      visibility: hidden; position: sticky; right: 0; display: inline-block; margin-left: 12px; padding: 0 4px; cursor: pointer; vertical-align: middle;
      background: var(--vscode-editor-background); box-shadow: -8px 0 8px var(--vscode-editor-background);
    }
    .row:hover .go-to, .row.selected .go-to { visibility: visible; }
    .stats-total { display: block; padding: 6px 0; color: var(--vscode-descriptionForeground); }
    #real-kvm-summary { padding: 6px 0; }
    #real-kvm-trace {
      flex: 1; min-height: 0; overflow: auto; margin: 0; padding: 0 6px; white-space: pre; line-height: 1.4;
      background: var(--vscode-editor-background); color: var(--vscode-editor-foreground);
      font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size);
    }
  </style>
  <title>Trace</title>
</head>
<body>
  <vscode-tabs selected-index="0">
    <vscode-tab-header slot="header"><vscode-icon name="list-flat"></vscode-icon> Trace</vscode-tab-header>
    <vscode-tab-panel>
      <div class="pane">
        <div class="toolbar">
          <vscode-textfield id="text-filter" placeholder="Filter lines (text)" aria-label="Filter lines by text">
            <vscode-icon slot="content-before" name="filter"></vscode-icon>
          </vscode-textfield>
          ${checkboxes}
          <span class="spring"></span>
          <span class="counts" id="counts"></span>
          <vscode-toolbar-button id="export" icon="save" label="Export trace" title="Export trace"></vscode-toolbar-button>
          <vscode-toolbar-button id="clear" icon="clear-all" label="Clear trace" title="Clear trace"></vscode-toolbar-button>
        </div>
        <div id="viewport" tabindex="0" role="listbox" aria-label="ftrace lines"><div id="spacer"></div><div id="rows"></div></div>
      </div>
    </vscode-tab-panel>
    <vscode-tab-header slot="header"><vscode-icon name="graph"></vscode-icon> VM exits</vscode-tab-header>
    <vscode-tab-panel>
      <span class="stats-total" id="stats-total">Total Samples: 0</span>
      <vscode-table zebra bordered-columns resizable columns='["40%", "15%", "15%", "15%", "15%"]'>
        <vscode-table-header slot="header">
          <vscode-table-header-cell>VM-EXIT</vscode-table-header-cell>
          <vscode-table-header-cell>Samples</vscode-table-header-cell>
          <vscode-table-header-cell>Samples%</vscode-table-header-cell>
          <vscode-table-header-cell>Time%</vscode-table-header-cell>
          <vscode-table-header-cell>Avg time</vscode-table-header-cell>
        </vscode-table-header>
        <vscode-table-body slot="body" id="stats-body"></vscode-table-body>
      </vscode-table>
    </vscode-tab-panel>
    <vscode-tab-header slot="header" id="real-kvm-tab"><vscode-icon name="server"></vscode-icon> Real KVM</vscode-tab-header>
    <vscode-tab-panel>
      <div class="pane">
        <div class="toolbar">
          <span id="real-kvm-summary">Hypercall: Run on Real KVM (desktop VS Code) runs the launch configuration's guest on real Linux KVM; its kernel trace shows here.</span>
          <span class="spring"></span>
          <vscode-toolbar-button id="open-comparison" icon="diff" label="Open the comparison" title="Open the comparison" hidden></vscode-toolbar-button>
        </div>
        <pre id="real-kvm-trace" aria-label="real KVM's ftrace text"></pre>
      </div>
    </vscode-tab-panel>
  </vscode-tabs>
  ${webviewScript(scriptUri, nonce)}
</body>
</html>`;
}
