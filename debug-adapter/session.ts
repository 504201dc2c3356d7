// HypercallDebugSession: the Debug Adapter Protocol front of the adapter. It validates the
// launch configuration, boots the machine with the host and guest ELFs, and routes each
// request to the part that owns the concept (breakpoints, stepping, stack, variables, memory,
// evaluate, trace). Runs inline in the extension host or standalone (main.ts); no Node-only
// import at the top so the web extension can host it too.

import {
  DebugSession, ErrorDestination, Event, ExitedEvent, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootMachine, type MachineApi } from '../emulator/api';
import { fromBase64, toBase64 } from './base64';
import { BreakpointManager } from './breakpoints';
import { printConsole } from './consoleOutput';
import { Debuggee } from './debuggee';
import { Disassembler } from './disassembly';
import { loadProgramSymbols } from './dwarfProgram';
import { EXCEPTION_FILTERS, ExceptionFilters } from './exceptionFilters';
import { ExecutionEngine, type Outcome } from './executionEngine';
import { evaluateCondition, evaluateExpression, formatValue } from './expression';
import type { FileAccess } from './fileAccess';
import { frameNames } from './frameContext';
import { HypercallNames } from './hypercallNames';
import { LaunchConfigError, validateLaunchConfig, type LaunchArguments } from './launchConfig';
import { formatReference, parseReference } from './memoryReferences';
import type { Side } from './programSymbols';
import { StackBuilder, topSide } from './stackBuilder';
import { SteppingEngine, type Granularity } from './stepping';
import { GO_TO_STEP, MOMENT_EVENT, REVERSE_STEP_OUT, TraceBatch, type MomentEventBody } from './traceEvents';
import { VariableStore } from './variables';

export interface SessionOptions {
  /** File access for launch paths; Node's fs when omitted. */
  fileAccess?: FileAccess;
  /** The host ELF used when the configuration names none (the bundled sample host). */
  defaultHost?: string;
  /** Instructions without any VM entry before "the host never launches a guest" (default 50 million). */
  neverEnteredLimit?: number;
}

const THREAD_ID = 1;
const ERROR_LAUNCH = 1001;
const ERROR_REQUEST = 1002;

/** The pieces that exist once a machine is booted. */
interface Live {
  debuggee: Debuggee;
  breakpoints: BreakpointManager;
  filters: ExceptionFilters;
  engine: ExecutionEngine;
  stepping: SteppingEngine;
  stack: StackBuilder;
  variables: VariableStore;
  disassembler: Disassembler;
  /** A continue or step is in progress (it may span many engine runs). */
  busy: boolean;
}

/** Breakpoint requests as the client last sent them, replayed after a restart. */
interface ClientBreakpoints {
  source: Map<string, DebugProtocol.SetBreakpointsArguments>;
  functions?: DebugProtocol.SetFunctionBreakpointsArguments;
  instructions?: DebugProtocol.SetInstructionBreakpointsArguments;
  exceptions?: DebugProtocol.SetExceptionBreakpointsArguments;
  data?: DebugProtocol.SetDataBreakpointsArguments;
}

export class HypercallDebugSession extends DebugSession {
  private live: Live | undefined;
  private launchArgs: LaunchArguments | undefined;
  private readonly client: ClientBreakpoints = { source: new Map() };
  private lastException: { description: string; text: string; id: string } | undefined;
  private ended = false;
  private readonly trace = new TraceBatch(() => this.sendTrace());

  constructor(private readonly options: SessionOptions = {}) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // Trace records go out batched (TraceBatch), ahead of every other message.
  override sendEvent(event: DebugProtocol.Event): void {
    this.sendTrace();
    super.sendEvent(event);
  }
  override sendResponse(response: DebugProtocol.Response): void {
    this.sendTrace();
    super.sendResponse(response);
  }
  private sendTrace(): void {
    const batch = this.trace.take();
    if (batch) super.sendEvent(batch);
  }

  // ---- set-up ------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsExceptionFilterOptions: true,
      supportsExceptionInfoRequest: true,
      supportsSetVariable: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsInstructionBreakpoints: true,
      supportsSteppingGranularity: true,
      supportsDataBreakpoints: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsModulesRequest: true,
      supportsStepBack: true,
    };
    this.sendResponse(response);
  }

  private async fileAccess(): Promise<FileAccess> {
    return this.options.fileAccess ?? (await import('./nodeFileAccess')).nodeFileAccess;
  }

  private defaultHost(fs: FileAccess): string {
    if (this.options.defaultHost) return this.options.defaultHost;
    // dist/debugAdapter.js and debug-adapter/session.ts both sit one folder below the package root.
    const here = typeof __dirname === 'string' ? __dirname : fs.cwd();
    return fs.resolve(here, '../samples/hello-hypercall/build/host.elf');
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments & LaunchArguments): Promise<void> {
    try {
      this.live = await this.boot(args);
      this.launchArgs = args;
    } catch (e) {
      return this.fail(response, e, ERROR_LAUNCH);
    }
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  private async boot(args: LaunchArguments): Promise<Live> {
    const fs = await this.fileAccess();
    const config = await validateLaunchConfig(args, fs, this.defaultHost(fs));
    const symbols = { host: await loadProgramSymbols(config.host, fs, config.cwd), guest: await loadProgramSymbols(config.guest, fs, config.cwd) };
    let machine: MachineApi;
    try {
      machine = await bootMachine({ hostElf: config.host.bytes, guestElf: config.guest.bytes, hostPath: config.host.path, guestPath: config.guest.path });
    } catch (e) {
      throw new LaunchConfigError((e as Error).message);
    }
    const hypercalls = new HypercallNames();
    // KVM_HC_* numbers the user added live in headers the host or the guest was built with.
    const headers = new Set([...symbols.host.sourceFiles(), ...symbols.guest.sourceFiles()].filter((f) => /\.h$/.test(f)));
    for (const header of headers) {
      try {
        hypercalls.addFromHeader(new TextDecoder().decode(await fs.readFile(header)));
      } catch {
        // A header that moved since the build only costs its names.
      }
    }
    machine.enableHistory();
    const debuggee = new Debuggee(machine, config, symbols, hypercalls);
    const breakpoints = new BreakpointManager(machine, symbols, config.paths);
    const filters = new ExceptionFilters(hypercalls);
    const stack = new StackBuilder(debuggee);
    const engine = new ExecutionEngine(debuggee, breakpoints, filters, {
      evaluator: () => {
        stack.invalidate();
        const names = frameNames(debuggee, stack.build()[0]);
        return {
          condition: (text) => evaluateCondition(text, names),
          interpolate: (message) => message.replace(/\{([^}]+)\}/g, (_, expr: string) => {
            try { return formatValue(evaluateExpression(expr, names)); } catch (e) { return `{${(e as Error).message}}`; }
          }),
        };
      },
      log: (text) => this.sendEvent(new OutputEvent(`${text}\n`, 'console')),
      notice: (text) => this.sendEvent(new OutputEvent(`${text}\n`, 'important')),
    }, { neverEnteredLimit: this.options.neverEnteredLimit ?? 50_000_000 });
    printConsole(machine, (text, port) => this.sendEvent(new OutputEvent(text, port === 'guest' ? 'stdout' : 'console')),
      (line) => this.sendEvent(new OutputEvent(`${line}\n`, 'console')));
    if (config.trace) machine.onTrace((record, step) => this.trace.add(record, step));
    return {
      debuggee, breakpoints, filters, engine, stack,
      stepping: new SteppingEngine(debuggee, engine, config.hostStepInTarget),
      variables: new VariableStore(debuggee),
      disassembler: new Disassembler(debuggee),
      busy: false,
    };
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.beginExecution();
  }

  private beginExecution(): void {
    const live = this.live;
    if (!live) return;
    if (live.debuggee.config.stopOnEntry) this.sendEvent(new StoppedEvent('entry', THREAD_ID));
    else this.resume(() => live.engine.run({}));
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    const launch = (args?.arguments as LaunchArguments | undefined) ?? this.launchArgs ?? {};
    this.live?.engine.requestPause();
    try {
      this.live = await this.boot(launch);
      this.launchArgs = launch;
    } catch (e) {
      return this.fail(response, e, ERROR_LAUNCH);
    }
    this.replayBreakpoints(this.live);
    this.lastException = undefined;
    this.sendResponse(response);
    this.beginExecution();
  }

  private replayBreakpoints(live: Live): void {
    for (const [path, args] of this.client.source) live.breakpoints.setSourceBreakpoints(live.debuggee.config.paths.fromClient(path), args.breakpoints ?? []);
    if (this.client.functions) live.breakpoints.setFunctionBreakpoints(this.client.functions.breakpoints);
    if (this.client.instructions) live.breakpoints.setInstructionBreakpoints(this.client.instructions.breakpoints, (ref) => this.instructionReference(live, ref));
    if (this.client.exceptions) live.filters.set(this.client.exceptions);
    if (this.client.data) live.breakpoints.setDataBreakpoints(this.client.data.breakpoints);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.ended = true;
    this.live?.engine.requestPause();
    this.live = undefined;
    this.sendResponse(response);
    this.shutdown(); // exits the standalone adapter; ignored inline and in server mode
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.live?.engine.requestPause();
    this.live = undefined;
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private fail(response: DebugProtocol.Response, e: unknown, id = ERROR_REQUEST): void {
    const message = e instanceof Error ? e.message : String(e);
    // No {placeholders}: the message is shown exactly as written.
    this.sendErrorResponse(response, { id, format: message.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')), showUser: true });
  }

  /** An unexpected exception in a handler: the library would show its stack; show one sentence instead. */
  protected override sendErrorResponse(response: DebugProtocol.Response, codeOrMessage: number | DebugProtocol.Message, format?: string, variables?: Record<string, string>, dest?: ErrorDestination): void {
    if (codeOrMessage === 1104 && variables?._exception !== undefined) {
      return super.sendErrorResponse(response, { id: 1104, format: `The debugger failed on "${response.command}": ${variables._exception.replace(/[{}]/g, '')}`, showUser: true });
    }
    super.sendErrorResponse(response, codeOrMessage, format, variables, dest);
  }

  /** The live machine, or an error response saying there is none. */
  /** Runs a request handler on the live session and sends its response, or one sentence of error. */
  private withLive(response: DebugProtocol.Response, work: (live: Live) => void): void {
    const live = this.need(response);
    if (!live) return;
    try {
      work(live);
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  private need(response: DebugProtocol.Response): Live | undefined {
    if (!this.live) this.fail(response, new Error('The program is not running; start a debug session first.'));
    return this.live;
  }

  // ---- breakpoints -----------------------------------------------------------------------------

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const live = this.need(response);
    if (!live) return;
    const path = args.source.path ?? '';
    this.client.source.set(path, args);
    response.body = { breakpoints: live.breakpoints.setSourceBreakpoints(live.debuggee.config.paths.fromClient(path), args.breakpoints ?? []) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const live = this.need(response);
    if (!live) return;
    this.client.functions = args;
    response.body = { breakpoints: live.breakpoints.setFunctionBreakpoints(args.breakpoints) };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    const live = this.need(response);
    if (!live) return;
    this.client.instructions = args;
    response.body = { breakpoints: live.breakpoints.setInstructionBreakpoints(args.breakpoints, (ref) => this.instructionReference(live, ref)) };
    this.sendResponse(response);
  }

  /** A plain address from the disassembly view belongs to the side that view showed. */
  private instructionReference(live: Live, text: string): { side?: Side; address: bigint } | undefined {
    const ref = parseReference(text);
    return ref && !ref.side ? { address: ref.address, side: live.disassembler.sideOf(ref.address) } : ref;
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const live = this.need(response);
    if (!live) return;
    this.client.exceptions = args;
    response.body = { breakpoints: live.filters.set(args) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const live = this.need(response);
    if (!live) return;
    const accessTypes: DebugProtocol.DataBreakpointAccessType[] = ['write', 'read', 'readWrite'];
    const side = topSide(live.debuggee);
    // An address ("0x...", with optional side), a variable shown in a Variables container, or an expression.
    let target: { side: Side; address: bigint; size: number } | undefined;
    const ref = args.asAddress || args.variablesReference === undefined ? parseReference(args.name) : undefined;
    if (ref) {
      target = { side: ref.side ?? side, address: ref.address, size: args.bytes ?? 8 };
    } else {
      try {
        const frame = args.frameId !== undefined ? live.stack.frame(args.frameId) : live.stack.build().find((f) => !f.label);
        const shown = args.variablesReference ? live.variables.find(args.variablesReference, args.name) : undefined;
        const node = shown?.node ?? evaluateExpression(args.name, frameNames(live.debuggee, frame));
        if (typeof node !== 'bigint' && node.address !== undefined) {
          target = { side: shown?.side ?? frame?.side ?? side, address: node.address, size: node.size ?? 8 };
        }
      } catch {
        target = undefined;
      }
    }
    response.body = target
      ? { dataId: `${target.side}:0x${target.address.toString(16)}:${target.size}`, description: `${target.size} bytes at ${target.side} 0x${target.address.toString(16)}`, accessTypes, canPersist: false }
      : { dataId: null, description: `${args.name} is not a variable or address in memory.` };
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const live = this.need(response);
    if (!live) return;
    this.client.data = args;
    response.body = { breakpoints: live.breakpoints.setDataBreakpoints(args.breakpoints) };
    this.sendResponse(response);
  }

  // ---- execution -------------------------------------------------------------------------------

  /** Answers the request at once, runs `action`, then reports where the program stopped; `backwards` travels through history, also from a machine that stopped for good. */
  private resume(action: () => Promise<Outcome>, response?: DebugProtocol.Response, backwards = false): void {
    const live = this.live;
    if (!live) {
      if (response) this.need(response);
      return;
    }
    if (live.busy) {
      if (response) this.fail(response, new Error('The program is already running.'));
      return;
    }
    if (response) this.sendResponse(response);
    if (live.debuggee.deadReason && !backwards) {
      this.sendEvent(new TerminatedEvent());
      return;
    }
    live.stack.invalidate();
    live.variables.reset();
    live.busy = true;
    void action().then((outcome) => this.report(live, outcome), (e: unknown) => this.report(live, {
      kind: 'fault', description: 'Internal error', text: `The debugger failed: ${(e as Error).message}`, fatal: true,
    }));
  }

  private report(live: Live, outcome: Outcome): void {
    live.busy = false;
    live.engine.clearPause();
    if (this.ended || this.live !== live) return;
    const machine = live.debuggee.machine;
    const moment: MomentEventBody = { step: machine.steps, frontier: machine.history?.frontier ?? machine.steps, output: machine.outputPosition() };
    this.sendEvent(new Event(MOMENT_EVENT, moment));
    live.stack.invalidate();
    live.variables.reset();
    live.debuggee.exitStopView = outcome.kind === 'stop' && outcome.exitView === true;
    switch (outcome.kind) {
      case 'exited':
        // By the platform's convention a non-zero status is the host reporting a failure.
        if (outcome.status !== 0) this.sendEvent(new OutputEvent(`The host powered the machine off with status ${outcome.status} at host RIP 0x${live.debuggee.machine.register('rip').toString(16)}.\n`, 'important'));
        this.sendEvent(new ExitedEvent(outcome.status));
        this.sendEvent(new TerminatedEvent());
        return;
      case 'fault': {
        if (outcome.fatal) live.debuggee.deadReason = outcome.text;
        this.lastException = { id: outcome.description, description: outcome.description, text: outcome.text };
        this.sendEvent(new OutputEvent(`${outcome.text}\n`, 'important'));
        this.stopped('exception', outcome.description, outcome.text);
        return;
      }
      case 'goal':
        this.stopped('step');
        return;
      case 'stop':
        if (outcome.reason === 'exception') this.lastException = { id: outcome.description ?? 'exception', description: outcome.description ?? '', text: outcome.text ?? '' };
        this.stopped(outcome.reason, outcome.description, outcome.text, outcome.hitBreakpointIds);
    }
  }

  private stopped(reason: string, description?: string, text?: string, hitBreakpointIds?: number[]): void {
    const event = new StoppedEvent(reason, THREAD_ID, text) as DebugProtocol.StoppedEvent;
    event.body.description = description;
    event.body.allThreadsStopped = true;
    if (hitBreakpointIds?.length) event.body.hitBreakpointIds = hitBreakpointIds;
    this.sendEvent(event);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.resume(() => {
      this.live!.debuggee.exitStopView = false;
      return this.live!.engine.run({});
    }, response);
  }

  private granularity(args: { granularity?: DebugProtocol.SteppingGranularity }): Granularity {
    return args.granularity === 'instruction' ? 'instruction' : 'line';
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.resume(() => this.live!.stepping.next(this.granularity(args)), response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.resume(() => this.live!.stepping.stepIn(this.granularity(args)), response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.resume(() => this.live!.stepping.stepOut(), response);
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.resume(async () => this.live!.stepping.stepBack(this.granularity(args)), response, true);
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.resume(async () => this.live!.engine.reverseContinue(), response, true);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    const live = this.need(response);
    if (!live) return;
    this.sendResponse(response);
    if (live.busy) live.engine.requestPause();
    else this.stopped('pause');
  }

  // ---- inspection ------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, 'vCPU 0')] };
    this.sendResponse(response);
  }

  /** The two programs, so the user sees which host and guest ELF the session runs (the library routes `modules` to customRequest). */
  private modulesRequest(response: DebugProtocol.ModulesResponse): void {
    const live = this.need(response);
    if (!live) return;
    const modules = (['host', 'guest'] as Side[]).map((side): DebugProtocol.Module => {
      const elf = live.debuggee.config[side];
      const hasLines = live.debuggee.symbols[side].sourceFiles().length > 0;
      return { id: side, name: `${side}: ${elf.path.split('/').pop()}`, path: elf.path, symbolStatus: hasLines ? 'DWARF loaded' : 'no DWARF line information' };
    });
    response.body = { modules, totalModules: modules.length };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const live = this.need(response);
    if (!live) return;
    const all = live.stack.build();
    const top = topSide(live.debuggee);
    const start = args.startFrame ?? 0;
    const frames = all.slice(start, args.levels ? start + args.levels : undefined).map((f): DebugProtocol.StackFrame => {
      if (f.label) return { id: f.id, name: f.name, line: 0, column: 0, presentationHint: 'label' };
      const loc = f.location;
      return {
        id: f.id,
        name: `${f.name} [${f.side}]`,
        source: loc ? live.debuggee.config.paths.source(loc.path) : undefined,
        line: loc?.line ?? 0,
        column: loc ? Math.max(loc.column, 1) : 0,
        instructionPointerReference: f.regs ? formatReference(f.regs.rip, f.side, top) : undefined,
        presentationHint: loc ? 'normal' : 'subtle',
      };
    });
    response.body = { stackFrames: frames, totalFrames: all.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const live = this.need(response);
    if (!live) return;
    const frame = live.stack.frame(args.frameId);
    response.body = { scopes: frame ? live.variables.scopes(frame) : [] };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.withLive(response, (live) => {
      response.body = { variables: live.variables.variables(args.variablesReference) };
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.withLive(response, (live) => {
      const v = live.variables.set(args.variablesReference, args.name, args.value);
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      live.stack.refreshLiveFrame();
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.withLive(response, (live) => {
      const frame = args.frameId !== undefined ? live.stack.frame(args.frameId) : live.stack.build().find((f) => !f.label);
      const value = evaluateExpression(args.expression, frameNames(live.debuggee, frame));
      const side = frame?.side ?? topSide(live.debuggee);
      if (typeof value === 'bigint') {
        response.body = { result: formatValue(value), variablesReference: 0, memoryReference: formatReference(value, side, topSide(live.debuggee)) };
      } else {
        const v = live.variables.toVariable(value, side);
        response.body = { result: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      }
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const info = this.lastException;
    response.body = info
      ? { exceptionId: info.id, description: info.text, breakMode: 'always' }
      : { exceptionId: 'none', description: 'No exception or fault happened.', breakMode: 'never' };
    this.sendResponse(response);
  }

  // ---- memory --------------------------------------------------------------------------------

  private memoryTarget(live: Live, reference: string, offset = 0): { side: Side; address: bigint } {
    const ref = parseReference(reference);
    if (!ref) throw new Error(`"${reference}" is not a memory address.`);
    return { side: ref.side ?? topSide(live.debuggee), address: BigInt.asUintN(64, ref.address + BigInt(offset)) };
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.withLive(response, (live) => {
      const { side, address } = this.memoryTarget(live, args.memoryReference, args.offset);
      const count = Math.min(args.count, 1 << 20);
      // Up to the first page that does not translate; the rest is reported unreadable.
      const bytes = live.debuggee.readReadable(side, address, count);
      response.body = {
        address: `0x${address.toString(16)}`,
        data: bytes.length > 0 ? toBase64(bytes) : undefined,
        unreadableBytes: count - bytes.length,
      };
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.withLive(response, (live) => {
      const { side, address } = this.memoryTarget(live, args.memoryReference, args.offset);
      const data = fromBase64(args.data);
      const written = live.debuggee.memory(side).write(address, data);
      if (written === 0 && data.length > 0) throw new Error(`Nothing could be written: ${side} address 0x${address.toString(16)} is not mapped.`);
      response.body = { bytesWritten: written };
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.withLive(response, (live) => {
      // VS Code's Disassembly view, left open from an earlier session, asks with an empty
      // reference before the first stop: there is nothing to show yet, which is no error.
      if (args.memoryReference === '') {
        response.body = { instructions: [] };
        return;
      }
      const { side, address } = this.memoryTarget(live, args.memoryReference, args.offset);
      response.body = { instructions: live.disassembler.disassemble(side, address, args.instructionOffset ?? 0, args.instructionCount) };
    });
  }

  // ---- custom requests ---------------------------------------------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === 'modules') return this.modulesRequest(response as DebugProtocol.ModulesResponse);
    if (command === GO_TO_STEP) {
      const step = (args as { step?: unknown } | undefined)?.step;
      if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) return this.fail(response, new Error(`${GO_TO_STEP} needs "step", a moment of the history (a trace event's step).`));
      return this.resume(async () => this.live!.engine.goTo(step), response, true);
    }
    if (command === REVERSE_STEP_OUT) return this.resume(async () => this.live!.stepping.stepOutBack(), response, true);
    if (command !== 'hypercall/sourceForAddress') return super.customRequest(command, response, args);
    const live = this.need(response);
    if (!live) return;
    const { address, side } = (args ?? {}) as { address?: string | number; side?: string };
    const ref = typeof address === 'number' ? { address: BigInt(address) } : typeof address === 'string' ? parseReference(address) : undefined;
    const which = (ref && 'side' in ref && ref.side) || side;
    if (!ref || (which !== 'host' && which !== 'guest')) {
      return this.fail(response, new Error('hypercall/sourceForAddress needs an address and side "host" or "guest".'));
    }
    const line = live.debuggee.symbolsFor(which).addressToLine(ref.address);
    response.body = line ? { path: live.debuggee.config.paths.toClient(line.path), line: line.line } : { disassembly: true };
    this.sendResponse(response);
  }
}

