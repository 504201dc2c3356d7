// The "Real KVM vs model" editor panel: one at a time, showing the latest comparison. Its page
// says when it has loaded; a panel whose page has not, 10 s after it was shown, is closed and
// opened again in its place. In code-server a webview can stay blank for good: its frame's load
// aborted (a full UI test run, 2026-12-05), or its frame never made (seen with the UI test's
// request interception); a new panel is a new webview, which is what a user closing the blank
// tab and running the command again got.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { compareHtml, type CompareResult } from './compareHtml';
import { PAGE_LOADED, type CompareViewMessage } from './compareViewMessage';

export const COMPARE_VIEW_TYPE = 'hypercall.realKvmCompare';
const TITLE = 'Real KVM vs model';
/** How long a visible page may take to say it loaded, and how many times its panel is opened again before giving up. */
const LOAD_TIMEOUT_MS = 10_000, REOPENS = 2;

let current: vscode.WebviewPanel | undefined;
let last: CompareResult | undefined;
/** Counts the pages shown: a wait for an earlier page's load stops when a newer one is shown. */
let shown = 0;

export function showCompareView(extensionUri: vscode.Uri, result: CompareResult): void {
  last = result;
  open(extensionUri, result, REOPENS, vscode.ViewColumn.Active);
}

/** The Trace panel's Real KVM tab asks for the comparison again (its panel may have been closed). */
export function showLastComparison(extensionUri: vscode.Uri): void {
  if (last) showCompareView(extensionUri, last);
}

function open(extensionUri: vscode.Uri, result: CompareResult, reopensLeft: number, column: vscode.ViewColumn): void {
  const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const page = ++shown;
  let loaded = false;
  if (!current) {
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, TITLE, { viewColumn: column, preserveFocus: reopensLeft < REOPENS }, {
      enableScripts: true, localResourceRoots: [root], enableFindWidget: true, retainContextWhenHidden: true,
    });
    panel.onDidDispose(() => { if (current === panel) current = undefined; });
    current = panel;
  }
  const panel = current;
  const said = panel.webview.onDidReceiveMessage((m: CompareViewMessage | undefined) => {
    if (m?.type !== PAGE_LOADED) return;
    loaded = true;
    stop();
  });
  const webview = panel.webview;
  webview.html = compareHtml(result, {
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'realKvm.js')).toString(),
    codiconCssUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicons', 'codicon.css')).toString(),
    nonce: randomBytes(16).toString('hex'),
  });
  panel.reveal(undefined, reopensLeft < REOPENS);

  // A hidden webview does not load its page: the wait counts while the panel is visible.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => { clearTimeout(timer); said.dispose(); visibility.dispose(); disposed.dispose(); };
  const wait = () => {
    clearTimeout(timer);
    if (panel.visible) timer = setTimeout(check, LOAD_TIMEOUT_MS);
  };
  /** The page loaded, or a newer one (or panel) took its place: nothing to wait for. */
  const over = () => loaded || page !== shown || current !== panel;
  const check = () => {
    if (over()) return stop();
    if (!panel.visible) return; // waits for the panel to be shown again
    stop();
    if (reopensLeft === 0) {
      void vscode.window.showErrorMessage(`The "${TITLE}" page did not load; run Hypercall: Run on Real KVM again, or reopen it from the Trace panel's Real KVM tab.`);
      return;
    }
    const at = panel.viewColumn ?? column;
    panel.dispose();
    open(extensionUri, result, reopensLeft - 1, at);
  };
  const visibility = panel.onDidChangeViewState(() => { if (over()) stop(); else wait(); });
  const disposed = panel.onDidDispose(stop);
  wait();
}
