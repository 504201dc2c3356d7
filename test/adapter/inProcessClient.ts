// A DebugClient wired to a HypercallDebugSession in this process over two streams (the way
// codelldb's tests do it), so protocol tests need no build and no child process.

import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PassThrough } from 'node:stream';
import { HypercallDebugSession, type SessionOptions } from '../../debug-adapter/session';

export class InProcessDebugClient extends DebugClient {
  private toAdapter = new PassThrough();
  private fromAdapter = new PassThrough();
  /** Every event received, in order, for assertions after the fact. */
  readonly events: DebugProtocol.Event[] = [];

  constructor(private readonly options: SessionOptions = {}) {
    super('node', 'in-process', 'hypercall');
    this.defaultTimeout = 20_000;
  }

  override async start(): Promise<void> {
    const session = new HypercallDebugSession(this.options);
    session.setRunAsServer(true); // never process.exit() on disconnect
    session.start(this.toAdapter, this.fromAdapter);
    this.connect(this.fromAdapter, this.toAdapter);
    const emit = this.emit.bind(this);
    this.emit = (name: string | symbol, ...args: unknown[]): boolean => {
      const e = args[0] as DebugProtocol.Event | undefined;
      if (e && typeof e === 'object' && (e as { type?: string }).type === 'event') this.events.push(e);
      return emit(name, ...args);
    };
  }

  override async stop(): Promise<void> {
    try {
      await this.disconnectRequest({});
    } finally {
      this.toAdapter.end();
      this.fromAdapter.end();
    }
  }

  /** The sentence of a failed request (DebugClient rejects with an Error carrying it). */
  async failure(request: Promise<unknown>): Promise<string> {
    try {
      await request;
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the request succeeded but was expected to fail');
  }
}
