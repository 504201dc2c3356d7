// The Trace panel's webview: filter controls, the ftrace text as a virtualized list (only the
// visible rows are in the DOM; rows come from the extension on demand) and the VM-exit
// summary. Talks to extension/trace/panel.ts only through the messages of trace/messages.ts.

import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { ExitStat, FromWebview, ToWebview, TraceFilter } from '../trace/messages';
import type { TraceEventName } from '../trace/ftraceLine';
import { scrollTopForRow, virtualWindow } from './virtualWindow';

/** What the webview keeps across being hidden and shown again. */
interface ViewState { headerOpen: boolean }

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void; getState(): ViewState | undefined; setState(state: ViewState): void };

const vscode = acquireVsCodeApi();
const post = (message: FromWebview) => vscode.postMessage(message);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const viewport = $<HTMLDivElement>('viewport');
const spacer = $<HTMLDivElement>('spacer');
const rowsBox = $<HTMLDivElement>('rows');
const textFilter = $<HTMLInputElement>('text-filter');
const counts = $<HTMLSpanElement>('counts');
const statsBody = $<HTMLElement>('stats-body');
const statsTotal = $<HTMLSpanElement>('stats-total');
const tabs = document.querySelector('vscode-tabs') as HTMLElement & { selectedIndex: number };
const realKvmSummary = $<HTMLSpanElement>('real-kvm-summary');
const realKvmTrace = $<HTMLPreElement>('real-kvm-trace');
const openComparison = $<HTMLElement>('open-comparison');
const eventBoxes = Array.from(document.querySelectorAll<HTMLInputElement>('vscode-checkbox[data-event]'));

let header: string[] = [];
/**
 * The ftrace header is 12 lines, a whole default-sized panel: folded, it keeps the three
 * that say what the file is and how many entries it holds, and the column legend waits
 * behind a click, so the events are in view first.
 */
const FOLDED_HEADER_LINES = 3;
let headerOpen = vscode.getState()?.headerOpen ?? false;
const headerRows = () => (headerOpen ? header : header.slice(0, FOLDED_HEADER_LINES));
let dataRows = 0;
let rowPx = measureRowHeight();
let selected = -1; // data row index
/** Where the session is in history: the row of its current moment (-1: none), and the first row not yet happened. */
let currentRow = -1;
let firstFutureRow = Number.POSITIVE_INFINITY;
let live = false;
let follow = true;
let requestId = 0;
let epoch = -1;
/** The rows request in flight, so a re-render while it travels does not ask again. */
let pending = '';
/** Data rows the extension last sent, by row index. */
const cache = new Map<number, string>();

function measureRowHeight(): number {
  const probe = document.createElement('div');
  probe.className = 'row';
  probe.textContent = 'M';
  rowsBox.appendChild(probe);
  const height = probe.getBoundingClientRect().height || 18;
  probe.remove();
  return height;
}

const totalRows = () => headerRows().length + dataRows;

function render(): void {
  const win = virtualWindow(totalRows(), rowPx, viewport.clientHeight, viewport.scrollTop);
  spacer.style.height = `${win.spacerPx}px`;
  rowsBox.style.transform = `translateY(${win.offsetPx}px)`;
  const missing: number[] = [];
  const fragment = document.createDocumentFragment();
  const shownHeader = headerRows();
  for (let row = win.first; row < win.first + win.count; row++) {
    const div = document.createElement('div');
    div.className = 'row';
    div.setAttribute('role', 'option');
    if (row < shownHeader.length) {
      div.textContent = shownHeader[row];
      div.classList.add('header');
      if (row === shownHeader.length - 1) {
        div.classList.add('fold');
        div.dataset.hint = headerOpen ? '\u25be click to fold the column legend' : `\u25b8 click for the column legend (${header.length - shownHeader.length} more lines)`;
      }
    } else {
      const data = row - shownHeader.length;
      const text = cache.get(data);
      if (text === undefined) missing.push(data);
      div.textContent = text ?? '';
      div.dataset.row = String(data);
      // The row's context menu (package.json webview/context) offers "Go to this event".
      div.dataset.vscodeContext = JSON.stringify({ webviewSection: 'traceRow', row: data, preventDefaultContextMenuItems: true });
      if (data === selected) div.classList.add('selected');
      if (data === currentRow) div.classList.add('current');
      if (data >= firstFutureRow) div.classList.add('future');
      if (live) {
        const goTo = document.createElement('span');
        goTo.className = 'go-to codicon codicon-history';
        goTo.title = 'Go to this event';
        goTo.setAttribute('role', 'button');
        goTo.setAttribute('aria-label', 'Go to this event');
        div.appendChild(goTo);
      }
    }
    fragment.appendChild(div);
  }
  rowsBox.replaceChildren(fragment);
  if (missing.length) {
    const start = missing[0];
    const count = missing[missing.length - 1] - start + 1;
    if (pending !== `${start}:${count}`) {
      pending = `${start}:${count}`;
      post({ type: 'rows', start, count, requestId: ++requestId });
    }
  }
}

let frame = 0;
function scheduleRender(): void {
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
}

function scrollToRow(row: number): void {
  const viewRow = row + headerRows().length;
  const top = scrollTopForRow(viewRow, totalRows(), rowPx, viewport.clientHeight);
  if (top < viewport.scrollTop || top + rowPx > viewport.scrollTop + viewport.clientHeight) {
    viewport.scrollTop = Math.max(0, top - viewport.clientHeight / 2);
  }
}

function currentFilter(): TraceFilter {
  return {
    events: eventBoxes.filter((box) => box.checked).map((box) => box.dataset.event as TraceEventName),
    text: textFilter.value,
  };
}

function sendFilter(): void {
  selected = -1;
  cache.clear();
  pending = '';
  post({ type: 'filter', filter: currentFilter() });
}

function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

function renderStats(stats: ExitStat[], totalExits: number): void {
  const rows = stats.map((s) => {
    const row = document.createElement('vscode-table-row');
    for (const text of [s.reason, String(s.count), percent(s.share), percent(s.timeShare), `${s.avgUs.toFixed(2)}us`]) {
      const cell = document.createElement('vscode-table-cell');
      cell.textContent = text;
      row.appendChild(cell);
    }
    return row;
  });
  statsBody.replaceChildren(...rows);
  statsTotal.textContent = `Total Samples: ${totalExits}`;
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'state': {
      const atBottom = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - rowPx;
      header = message.header;
      if (message.epoch !== epoch) {
        cache.clear(); // filtered, cleared or overwritten: row numbers moved
        pending = '';
        epoch = message.epoch;
      }
      dataRows = message.rows;
      if (selected >= dataRows) selected = -1;
      currentRow = message.currentRow;
      firstFutureRow = message.firstFutureRow;
      live = message.live;
      counts.textContent = `${message.rows} shown · ${message.retained} in buffer · ${message.written} written`;
      for (const box of eventBoxes) box.checked = message.filter.events.includes(box.dataset.event as TraceEventName);
      if (textFilter.value !== message.filter.text) textFilter.value = message.filter.text;
      // Follow the tail while the user is at the bottom, like `tail -f`.
      follow = follow || atBottom;
      render();
      if (follow && message.live) viewport.scrollTop = viewport.scrollHeight;
      scheduleRender();
      break;
    }
    case 'rows':
      if (message.requestId === requestId) pending = '';
      message.lines.forEach((line, i) => cache.set(message.start + i, line));
      if (cache.size > 5000) for (const key of [...cache.keys()].slice(0, cache.size - 2000)) cache.delete(key);
      scheduleRender();
      break;
    case 'stats':
      renderStats(message.stats, message.totalExits);
      break;
    case 'realKvm':
      realKvmSummary.textContent = message.summary;
      realKvmTrace.textContent = message.trace;
      openComparison.hidden = false;
      if (message.select) tabs.selectedIndex = 2;
      break;
  }
});

viewport.addEventListener('scroll', () => {
  follow = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - rowPx;
  scheduleRender();
});
new ResizeObserver(() => { rowPx = measureRowHeight(); scheduleRender(); }).observe(viewport);

rowsBox.addEventListener('click', (event) => {
  const picked = (event.target as HTMLElement).closest<HTMLElement>('.row');
  if (picked?.classList.contains('header')) {
    headerOpen = !headerOpen;
    vscode.setState({ headerOpen });
    scheduleRender();
    return;
  }
  const row = picked?.dataset.row;
  if (row === undefined) return;
  selected = Number(row);
  scheduleRender();
  post({ type: (event.target as HTMLElement).classList.contains('go-to') ? 'goTo' : 'reveal', row: selected });
});

viewport.addEventListener('keydown', (event) => {
  if (!dataRows) return;
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    selected = Math.min(dataRows - 1, Math.max(0, selected + (event.key === 'ArrowDown' ? 1 : -1)));
    scrollToRow(selected);
    scheduleRender();
    event.preventDefault();
  } else if (event.key === 'Enter' && selected >= 0) {
    post({ type: 'reveal', row: selected });
  }
});

let typing: ReturnType<typeof setTimeout> | undefined;
textFilter.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(sendFilter, 150);
});
for (const box of eventBoxes) box.addEventListener('change', sendFilter);
$('export').addEventListener('click', () => post({ type: 'export' }));
$('clear').addEventListener('click', () => post({ type: 'clear' }));
openComparison.addEventListener('click', () => post({ type: 'openComparison' }));

post({ type: 'ready' });
