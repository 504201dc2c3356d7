// The Trace panel (a webview view): collects `hypercall/trace` events of hypercall debug
// sessions into the TraceModel, comes forward at a session's first event, serves the
// webview the rows it shows and where the session is in history (`hypercall/moment`), takes
// the session to a line's moment ("Go to this event": `hypercall/goToStep`), and turns a
// picked line into its source location: through the
// adapter's `hypercall/sourceForAddress` request while the session lives, else from the
// last session's ELFs on disk (or the folder's default configuration's). Its Real KVM tab
// shows the last Run on Real KVM's kernel trace beside the session's.

import * as vscode from 'vscode';
import { HypercallConfigurationProvider } from '../configurationProvider';
import { workspaceFileAccess } from '../workspaceFileAccess';
import { GO_TO_STEP, MOMENT_EVENT, TRACE_EVENT, type MomentEventBody, type TraceEntry, type TraceEventBody } from '../../debug-adapter/traceEvents';
import type { FromWebview, ToWebview } from './messages';
import { OfflineSources, type ProgramPaths, type SourceLine } from './offlineSources';
import { panelHtml } from './panelHtml';
import { DEFAULT_CAPACITY, TraceModel, type TraceOrigin } from './traceModel';

export const TRACE_VIEW_ID = 'hypercall.trace';
export const TRACE_CONTAINER_ID = 'hypercallTrace';
export const SOURCE_FOR_ADDRESS = 'hypercall/sourceForAddress';
/** The Trace panel rows' context menu item (package.json `webview/context`); its argument is the row's `data-vscode-context`. */
export const GO_TO_EVENT_COMMAND = 'hypercall.trace.goToEvent';
/** Opens the last Run on Real KVM comparison again (registered by the desktop entry, which runs it). */
export const SHOW_COMPARISON_COMMAND = 'hypercall.realKvm.showComparison';

/** What the Real KVM tab shows: the last Run on Real KVM. */
export interface RealKvmTrace { summary: string; trace: string }

/** The answer to `hypercall/sourceForAddress`. */
type SourceForAddress = { path: string; line: number } | { disassembly: true };

function makeNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function tscOf(body: TraceEntry): bigint | undefined {
  try {
    return typeof body.record?.tsc === 'string' ? BigInt(body.record.tsc) : undefined;
  } catch {
    return undefined;
  }
}

/** The program paths of a resolved `hypercall` configuration, if it names them. */
function programPaths(config: vscode.DebugConfiguration | undefined): ProgramPaths | undefined {
  if (typeof config?.guest !== 'string' || typeof config.host !== 'string') return undefined;
  return { guest: config.guest, host: config.host, cwd: typeof config.cwd === 'string' ? config.cwd : workspaceFileAccess.cwd() };
}

function originOf(body: TraceEntry): TraceOrigin | undefined {
  const rip = body.record?.rip;
  const side = body.record?.side;
  if (typeof rip !== 'string' || (side !== 'host' && side !== 'guest')) return undefined;
  try {
    return { address: BigInt(rip), side };
  } catch {
    return undefined;
  }
}

export class TracePanel implements vscode.WebviewViewProvider, vscode.Disposable {
  readonly model: TraceModel;
  private view: vscode.WebviewView | undefined;
  private session: vscode.DebugSession | undefined;
  /** The programs of the last hypercall session, for picking lines after it ended. */
  private lastPrograms: ProgramPaths | undefined;
  /** The current session has not brought the panel forward yet. */
  private revealPending = false;
  private readonly offline = new OfflineSources(workspaceFileAccess);
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private realKvm: RealKvmTrace | undefined;
  /** The Real KVM tab is to come forward when the webview can be told (it may not be resolved yet). */
  private selectRealKvm = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri) {
    const lines = vscode.workspace.getConfiguration('hypercall').get<number>('trace.bufferLines', DEFAULT_CAPACITY);
    this.model = new TraceModel(Number.isInteger(lines) && lines > 0 ? lines : DEFAULT_CAPACITY);
    this.disposables.push(
      vscode.debug.onDidStartDebugSession((s) => this.sessionStarted(s)),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.customEvent(e)),
      vscode.debug.onDidTerminateDebugSession((s) => this.sessionEnded(s)),
      vscode.commands.registerCommand(GO_TO_EVENT_COMMAND, (context?: { row?: unknown }) => {
        if (typeof context?.row === 'number') return this.goTo(context.row);
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    view.webview.html = panelHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.js')).toString(),
      codiconCssUri: view.webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicons', 'codicon.css')).toString(),
      nonce: makeNonce(),
    });
    view.webview.onDidReceiveMessage((m: FromWebview) => this.received(m), undefined, this.disposables);
    view.onDidDispose(() => { this.view = undefined; }, undefined, this.disposables);
  }

  /** Brings the panel into view (the "Show Trace Panel" command). */
  async show(): Promise<void> {
    await vscode.commands.executeCommand(`workbench.view.extension.${TRACE_CONTAINER_ID}`);
    await vscode.commands.executeCommand(`${TRACE_VIEW_ID}.focus`);
  }

  /** A Run on Real KVM came back: its trace into the Real KVM tab, which comes forward (the panel without the focus). */
  async showRealKvm(run: RealKvmTrace): Promise<void> {
    this.realKvm = run;
    this.selectRealKvm = true;
    await this.bringForward();
    this.postRealKvm();
  }

  private postRealKvm(): void {
    if (!this.view || !this.realKvm) return;
    this.post({ type: 'realKvm', ...this.realKvm, select: this.selectRealKvm });
    this.selectRealKvm = false;
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    for (const d of this.disposables) d.dispose();
  }

  private sessionStarted(session: vscode.DebugSession): void {
    if (session.type !== 'hypercall') return;
    this.session = session;
    this.lastPrograms = programPaths(session.configuration);
    this.offline.reset();
    this.revealPending = vscode.workspace.getConfiguration('hypercall').get<boolean>('trace.showOnSessionStart', true);
    this.model.clear();
    this.scheduleFlush();
  }

  private sessionEnded(session: vscode.DebugSession): void {
    if (session !== this.session) return;
    this.session = undefined;
    this.model.forgetMoment();
    this.scheduleFlush();
  }

  private customEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== 'hypercall') return;
    if (e.event === MOMENT_EVENT) {
      // After going back the lines after that moment stay, dimmed: running forward emits them again (append replaces them).
      const moment = e.body as MomentEventBody | undefined;
      if (typeof moment?.output?.trace === 'number' && typeof moment.frontier === 'number') {
        this.model.moveTo(moment.output.trace, moment.frontier);
        this.scheduleFlush();
      }
      return;
    }
    if (e.event !== TRACE_EVENT) return;
    const entries = (e.body as TraceEventBody | undefined)?.entries;
    if (!Array.isArray(entries)) return;
    for (const entry of entries) {
      if (typeof entry?.line !== 'string') continue;
      this.model.append(entry.line, originOf(entry), tscOf(entry), typeof entry.step === 'number' ? entry.step : undefined);
    }
    if (this.revealPending && e.session === this.session) {
      // At the first event, not at the start: VS Code opens the Debug Console in the same
      // panel area as the session starts, and would cover the trace again.
      this.revealPending = false;
      void this.bringForward();
    }
    this.scheduleFlush();
  }

  /** Shows the panel without taking the keyboard focus from the editor or the debug views. */
  private async bringForward(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`workbench.view.extension.${TRACE_CONTAINER_ID}`);
  }

  /** Batches a burst of trace events into one update of the webview. */
  private scheduleFlush(): void {
    if (this.flushTimer === undefined) this.flushTimer = setTimeout(() => { this.flushTimer = undefined; this.pushState(); }, 50);
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private pushState(): void {
    const m = this.model;
    const { current, firstFuture } = m.momentRows();
    this.post({
      type: 'state', header: m.header(), rows: m.rowCount, retained: m.retained, written: m.written, filter: m.filter,
      live: this.session !== undefined, epoch: m.epoch, currentRow: current, firstFutureRow: firstFuture,
    });
    this.post({ type: 'stats', ...m.stats() });
  }

  private received(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
        this.pushState();
        this.postRealKvm();
        break;
      case 'rows':
        this.post({ type: 'rows', start: message.start, lines: this.model.rows(message.start, Math.min(message.count, 500)), requestId: message.requestId });
        break;
      case 'filter':
        this.model.setFilter(message.filter);
        this.pushState();
        break;
      case 'reveal':
        void this.reveal(message.row);
        break;
      case 'goTo':
        void this.goTo(message.row);
        break;
      case 'export':
        void vscode.commands.executeCommand('hypercall.exportTrace');
        break;
      case 'openComparison':
        void vscode.commands.executeCommand(SHOW_COMPARISON_COMMAND);
        break;
      case 'clear':
        this.model.clear();
        this.pushState();
        break;
    }
  }

  /** Opens the guest or host source line where the event of `row` was emitted, else the disassembly. */
  private async reveal(row: number): Promise<void> {
    const origin = this.model.originOfRow(row);
    if (!origin) return;
    const address = `0x${origin.address.toString(16)}`;
    const session = this.session ?? (vscode.debug.activeDebugSession?.type === 'hypercall' ? vscode.debug.activeDebugSession : undefined);
    if (!session) return this.revealOffline(origin);
    let answer: SourceForAddress | undefined;
    try {
      answer = await session.customRequest(SOURCE_FOR_ADDRESS, { address, side: origin.side }) as SourceForAddress;
    } catch {
      answer = { disassembly: true };
    }
    if (answer && 'path' in answer && typeof answer.path === 'string' && answer.line > 0) {
      await this.openSource(answer);
    } else {
      await vscode.commands.executeCommand('debug.action.openDisassemblyView');
    }
  }

  /** Takes the live session to the moment right after the event of `row` was emitted; VS Code shows the stop. */
  private async goTo(row: number): Promise<void> {
    const step = this.model.stepOfRow(row);
    if (!this.session) return void vscode.window.showInformationMessage('Go to this event needs a running hypercall debug session: start one (F5) and run to this event first.');
    if (step === undefined) return void vscode.window.showInformationMessage('This trace line does not say when it was emitted: only lines of the running session can be gone to.');
    try {
      await this.session.customRequest(GO_TO_STEP, { step });
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not go to this event: ${(e as Error).message}`);
    }
  }

  /** No session to ask: the last session's ELFs, else those F5 would debug in this folder. */
  private async revealOffline(origin: TraceOrigin): Promise<void> {
    const programs = this.lastPrograms
      ?? programPaths(await new HypercallConfigurationProvider(this.extensionUri).resolveDebugConfiguration(undefined, {} as vscode.DebugConfiguration) ?? undefined);
    if (!programs) return; // the provider said why (no build/guest.elf in this folder)
    const answer = await this.offline.sourceFor(programs, origin.side, origin.address);
    if ('problem' in answer) void vscode.window.showInformationMessage(answer.problem);
    else await this.openSource(answer);
  }

  private async openSource({ path, line }: SourceLine): Promise<void> {
    const position = new vscode.Position(line - 1, 0);
    // A URI where the adapter names files by URI (the web entry), else a file system path.
    const uri = /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(path) ? vscode.Uri.parse(path) : vscode.Uri.file(path);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
  }
}
