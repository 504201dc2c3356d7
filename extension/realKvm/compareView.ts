// The "Real KVM vs model" editor panel: one at a time, showing the latest comparison.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { compareHtml, type CompareResult } from './compareHtml';

export const COMPARE_VIEW_TYPE = 'hypercall.realKvmCompare';

let current: vscode.WebviewPanel | undefined;
let last: CompareResult | undefined;

export function showCompareView(extensionUri: vscode.Uri, result: CompareResult): vscode.WebviewPanel {
  last = result;
  const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  if (!current) {
    current = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Real KVM vs model', vscode.ViewColumn.Active, {
      enableScripts: true, localResourceRoots: [root], enableFindWidget: true, retainContextWhenHidden: true,
    });
    current.onDidDispose(() => { current = undefined; });
  }
  const webview = current.webview;
  webview.html = compareHtml(result, {
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'realKvm.js')).toString(),
    codiconCssUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicons', 'codicon.css')).toString(),
    nonce: randomBytes(16).toString('hex'),
  });
  current.reveal();
  return current;
}

/** The Trace panel's Real KVM tab asks for the comparison again (its panel may have been closed). */
export function showLastComparison(extensionUri: vscode.Uri): void {
  if (last) showCompareView(extensionUri, last);
}
