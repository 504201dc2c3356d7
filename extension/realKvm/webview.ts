// The compare view's script: only the toolkit's elements it uses (the page itself is static
// HTML, compareHtml.ts), and the message that tells compareView.ts the page has loaded.

import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import { PAGE_LOADED, type CompareViewMessage } from './compareViewMessage';

declare function acquireVsCodeApi(): { postMessage(message: CompareViewMessage): void };

acquireVsCodeApi().postMessage({ type: PAGE_LOADED });
