// Small conveniences over DebugClient for the adapter's protocol tests.

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SessionOptions } from '../../debug-adapter/session';
import type { TraceEntry, TraceEventBody } from '../../debug-adapter/traceEvents';
import { InProcessDebugClient } from './inProcessClient';

/**
 * Call at the top of a test file: each test gets a freshly started in-process client, stopped
 * after it. Returns the getter for the current test's client.
 */
export function useDebugClient(options: SessionOptions = {}): () => InProcessDebugClient {
  let current: InProcessDebugClient | undefined;
  beforeEach(async () => {
    current = new InProcessDebugClient(options);
    await current.start();
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useDebugClient: the client exists only while a test runs.');
    return current;
  };
}

export async function launchAndConfigure(
  dc: InProcessDebugClient,
  launch: Record<string, unknown>,
  configure: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  await dc.initializeRequest({ adapterID: 'hypercall', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ type: 'hypercall', request: 'launch', ...launch } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await configure();
  await dc.configurationDoneRequest();
}

/** Runs `request` and returns the stopped event that follows it. */
export async function stopAfter(dc: InProcessDebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await request();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

export async function stack(dc: InProcessDebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

export async function scopeVariables(dc: InProcessDebugClient, frameId: number, scope: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope ${scope}; scopes are ${scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

/** The trace records of these events' `hypercall/trace` batches, in order. */
export function traceEntries(events: readonly DebugProtocol.Event[]): TraceEntry[] {
  return events.filter((e) => e.event === 'hypercall/trace').flatMap((e) => (e.body as TraceEventBody).entries);
}

export const frameNames = (frames: DebugProtocol.StackFrame[]): string[] => frames.map((f) => f.name);
