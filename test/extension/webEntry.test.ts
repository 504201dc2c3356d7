// The browser entry (dist/web.js) as VS Code for the Web loads it: a CommonJS module in a
// context with browser globals and no Node built-ins, only `vscode`. Activation registers
// the debugger, and its inline adapter runs the real sample to "Hello World" through DAP,
// reading the ELFs through vscode.workspace.fs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';

const root = resolve(__dirname, '../..');
const bundle = resolve(root, 'dist/web.js');
const sample = resolve(root, 'samples/hello-hypercall');

interface Message { type: string; command?: string; event?: string; body?: any; success?: boolean; request_seq?: number; message?: string }

/** Just enough of the `vscode` API for activate() and the inline adapter. */
function fakeVscode() {
  const registered: Record<string, unknown> = {};
  const disposable = { dispose() {} };
  const event = () => disposable;
  class Uri {
    constructor(readonly scheme: string, readonly path: string) {}
    static file(path: string) { return new Uri('file', path); }
    static parse(text: string) { return new Uri(text.split(':')[0], text.replace(/^[a-z]+:\/\//, '')); }
    static joinPath(base: Uri, ...parts: string[]) { return new Uri(base.scheme, [base.path, ...parts].join('/')); }
    with(change: { path?: string }) { return new Uri(this.scheme, change.path ?? this.path); }
    get fsPath() { return this.path; }
    toString() { return `${this.scheme}://${this.path}`; }
  }
  const vscode = {
    Uri,
    Disposable: { from: () => disposable },
    UIKind: { Desktop: 1, Web: 2 }, ExtensionKind: { UI: 1, Workspace: 2 }, env: { uiKind: 2 },
    FileType: { File: 1, Directory: 2 },
    DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
    DebugAdapterInlineImplementation: class { constructor(readonly implementation: unknown) {} },
    workspace: {
      workspaceFolders: [{ uri: new Uri('file', sample), name: 'hello-hypercall', index: 0 }],
      getConfiguration: () => ({ get: (_key: string, fallback: unknown) => fallback }),
      onDidChangeConfiguration: event, onDidChangeWorkspaceFolders: event,
      fs: {
        stat: async (uri: Uri) => ({ type: statSync(uri.path).isDirectory() ? 2 : 1 }),
        readFile: async (uri: Uri) => new Uint8Array(readFileSync(uri.path)),
      },
    },
    debug: {
      onDidStartDebugSession: event, onDidReceiveDebugSessionCustomEvent: event, onDidTerminateDebugSession: event,
      registerDebugAdapterDescriptorFactory: (type: string, factory: unknown) => { registered[`factory:${type}`] = factory; return disposable; },
      registerDebugConfigurationProvider: (type: string, provider: unknown) => { registered[`provider:${type}`] = provider; return disposable; },
      registerDebugAdapterTrackerFactory: (type: string) => { registered[`tracker:${type}`] = true; return disposable; },
    },
    tasks: { registerTaskProvider: (type: string) => { registered[`tasks:${type}`] = true; return disposable; }, onDidEndTaskProcess: event },
    window: { registerWebviewViewProvider: (id: string) => { registered[`view:${id}`] = true; return disposable; } },
    commands: { registerCommand: (id: string) => { registered[`command:${id}`] = true; return disposable; }, executeCommand: async () => undefined },
  };
  return { vscode, registered };
}

describe('web entry (dist/web.js)', () => {
  it('activates without Node built-ins and debugs the sample to Hello World in the trace', async () => {
    if (!existsSync(bundle)) throw new Error('dist/web.js is missing: run `npm run build` first (npm test does).');
    const { vscode, registered } = fakeVscode();
    const module = { exports: {} as { activate(context: unknown): void } };
    const browserGlobals = { URL, TextDecoder, TextEncoder, crypto: globalThis.crypto, setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask, console, performance, Promise };
    runInNewContext(readFileSync(bundle, 'utf8'), {
      ...browserGlobals, module, exports: module.exports,
      require: (id: string) => {
        if (id === 'vscode') return vscode;
        throw new Error(`web.js required ${id}`);
      },
    }, { filename: bundle });
    module.exports.activate({ subscriptions: [], extensionUri: vscode.Uri.file(root), globalStorageUri: vscode.Uri.file('/tmp'), extension: { extensionKind: 1 } });
    expect(Object.keys(registered).sort()).toEqual([
      'command:hypercall.addLaunchConfiguration', 'command:hypercall.createHypercall', 'command:hypercall.debug', 'command:hypercall.debugFromEntry',
      'command:hypercall.exportTrace', 'command:hypercall.openSample', 'command:hypercall.reverseStepOut', 'command:hypercall.showTrace',
      'command:hypercall.trace.goToEvent',
      'factory:hypercall', 'provider:hypercall', 'tasks:hypercall', 'tracker:hypercall', 'view:hypercall.trace',
    ]);

    const factory = registered['factory:hypercall'] as { createDebugAdapterDescriptor(): { implementation: { handleMessage(m: object): void; onDidSendMessage(cb: (m: Message) => void): void } } };
    const adapter = factory.createDebugAdapterDescriptor().implementation;
    const received: Message[] = [];
    adapter.onDidSendMessage((m) => received.push(m));
    let seq = 1;
    const request = async (command: string, args: object) => {
      const id = seq++;
      adapter.handleMessage({ seq: id, type: 'request', command, arguments: args });
      await vi.waitFor(() => expect(received.some((m) => m.type === 'response' && m.request_seq === id)).toBe(true), { timeout: 30_000 });
      const response = received.find((m) => m.type === 'response' && m.request_seq === id)!;
      if (!response.success) throw new Error(`${command} failed: ${response.message}`);
    };
    await request('initialize', { adapterID: 'hypercall', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await request('launch', { guest: `${sample}/build/guest.elf`, host: `${sample}/build/host.elf`, cwd: sample });
    await request('configurationDone', {});
    await vi.waitFor(() => expect(received.some((m) => m.event === 'terminated')).toBe(true), { timeout: 60_000 }).catch((e) => {
      throw new Error(`${(e as Error).message}; adapter sent: ${received.map((m) => m.event ?? m.command).join(', ')}; output: ${received.filter((m) => m.event === 'output').map((m) => m.body.output).join('').slice(-500)}`);
    });
    const entries = received.filter((m) => m.event === 'hypercall/trace').flatMap((m) => m.body.entries as Array<{ line: string; record: unknown }>);
    expect(entries.some((t) => t.line.endsWith(': kvm_pv_hello_hypercall: Hello World'))).toBe(true);
    const hello = entries.find((t) => t.line.endsWith('Hello World'))!;
    expect(hello.record).toMatchObject({ event: 'trace_printk', side: 'host', rip: expect.stringMatching(/^0x[0-9a-f]+$/) });
  }, 120_000);
});
