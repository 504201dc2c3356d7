// The extension in a real VS Code: the packaged .vsix installed into code-server, driven in
// headless Debian Chromium. Screenshots of every step go to test-artifacts/ui/.
// Missing tooling fails the test with what to install (test/ui/setup.sh), never skips it.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, CodeServer, missingTooling } from './codeServer';
import { Workbench } from './workbench';
import { MissingTool } from '../tools';

const root = resolve(__dirname, '../..');
const artifacts = join(root, 'test-artifacts', 'ui');
const sample = join(root, 'samples', 'hello-hypercall');

let home: string;
let server: CodeServer;
let browser: Browser | undefined;
let wb: Workbench;
let setupError: Error | undefined;

function packageVsix(): string {
  if (!existsSync(join(root, 'dist', 'extension.js')) || !existsSync(join(root, 'dist', 'webview', 'webview.js'))) {
    throw new Error('dist/extension.js or dist/webview/webview.js is missing: run `npm run build` before the UI test (npm test does).');
  }
  const vsix = join(artifacts, 'hypercall-debug.vsix');
  execFileSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '-o', vsix],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return vsix;
}

beforeAll(async () => {
  try {
    const missing = missingTooling();
    if (missing) throw new MissingTool(missing);
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    const vsix = packageVsix();
    home = mkdtempSync(join(tmpdir(), 'hcdbg-ui-'));
    server = new CodeServer(home);
    server.writeSettings({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'debug.openDebug': 'openOnDebugBreak',
    });
    const installed = server.installExtension(vsix);
    if (!/hypercall-debug/.test(installed)) throw new Error(`code-server did not install the .vsix: ${installed}`);
    const folder = join(home, 'hello-hypercall');
    cpSync(sample, folder, { recursive: true });
    const url = await server.start(folder);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1600, height: 1200 } });
    // code-server's own PWA service worker sits on the workbench origin with scope '/', so it
    // also claims the webview frames, whose loader then waits forever for VS Code's webview
    // service worker: keep the PWA worker out (a test-bed quirk; VS Code's worker still runs).
    await context.route('**/_static/out/browser/serviceWorker.js', (route) => route.fulfill({ status: 404, body: '' }));
    const page = await context.newPage();
    wb = new Workbench(page, artifacts);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 180_000 });
    await wb.waitForWorkbench();
    await wb.screenshot('workbench');
  } catch (e) {
    setupError = e as Error;
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await wb?.screenshot('failed').catch(() => undefined);
});

function ready(): Workbench {
  if (setupError) throw setupError;
  return wb;
}

describe('the extension in code-server', () => {
  it('installs from the .vsix and renders the Trace panel: ftrace header, filters, CSP', async () => {
    const wb = ready();
    await wb.showTracePanel();
    const frame = wb.traceFrame();
    await expect.poll(() => wb.traceRows().first().textContent(), { timeout: 30_000 }).toBe('# tracer: nop');
    expect(await wb.traceRows().nth(2).textContent()).toMatch(/^# entries-in-buffer\/entries-written: \d+\/\d+ {3}#P:1$/);
    // vscode-elements rendered (shadow DOM present), one checkbox per event.
    const events = await frame.locator('vscode-checkbox').evaluateAll((boxes) => boxes.map((b) => [b.getAttribute('data-event'), b.shadowRoot !== null]));
    expect(events).toEqual([['kvm_exit', true], ['kvm_entry', true], ['kvm_hypercall', true], ['trace_printk', true]]);
    const csp = await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-[0-9a-f]{32}';/);
    // The monospace editor font, not the UI font.
    const font = await frame.locator('#viewport').evaluate((el) => getComputedStyle(el).fontFamily);
    expect(font.toLowerCase()).toMatch(/mono|courier|consolas|menlo/);
    await wb.screenshot('trace-panel');
  }, 300_000);

  it('debugs the sample across the VM boundary: break on vmcall, step into kvm_emulate_hypercall, Hello World in the trace', async () => {
    const wb = ready();
    const page = wb.page;
    // F5 with no launch.json in the sample, from a C file: the whole run, trace live in the panel.
    await wb.openFile('kvm_para.h');
    await wb.startDebugging();
    await wb.page.locator('.repl', { hasText: 'Hello World' }).first().waitFor({ timeout: 120_000 }); // guest console
    await wb.continueToEnd();
    await wb.showTracePanel(); // the Debug Console took the panel area when the session started
    // Only the rows in view are in the DOM; the counts and the header say how many there are.
    await expect.poll(() => wb.traceFrame().locator('#counts').textContent(), { timeout: 60_000 }).toMatch(/^([1-9]\d+) shown · \1 in buffer · \1 written$/);
    expect(await wb.traceRows().nth(2).textContent()).toMatch(/^# entries-in-buffer\/entries-written: ([1-9]\d+)\/\1 {3}#P:1$/);
    expect(await wb.traceRows().count()).toBeLessThan(60);
    await wb.screenshot('first-run-trace');

    // The adapter's filters stay in the Breakpoints view: break on the guest's VMCALL.
    await wb.enableExceptionFilter('VMCALL (hypercall)');
    await wb.screenshot('vmcall-filter-on');
    await wb.startDebugging();
    await wb.continueButton().waitFor({ timeout: 120_000 });
    await expect.poll(() => wb.callStackRows().allTextContents(), { timeout: 30_000 }).not.toEqual([]);
    await wb.screenshot('stopped-on-vmcall');

    await wb.runCommand('Debug: Step Into');
    await wb.activeEditorTab().filter({ hasText: 'x86.c' }).waitFor({ timeout: 120_000 });
    const stack = async () => (await wb.callStackRows().allTextContents()).join('\n');
    await expect.poll(stack, { timeout: 60_000 }).toContain('VM exit: VMCALL');
    const frames = await stack();
    expect(frames).toMatch(/kvm_emulate_hypercall[\s\S]*VM exit: VMCALL/);
    // The editor paints the top-frame decoration after the tab appears: wait for it.
    const topFrameLine = page.locator('.editor-group-container.active .monaco-editor .current-line, .editor-group-container.active .debug-top-stack-frame-line');
    await expect.poll(() => topFrameLine.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await wb.screenshot('stepped-into-kvm_emulate_hypercall');

    // Picking the kvm_exit line in the Trace panel opens the guest source of its RIP (via the
    // adapter's hypercall/sourceForAddress request).
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('reason VMCALL');
    const exitLine = wb.traceRows().filter({ hasText: 'kvm_exit: vcpu 0 reason VMCALL' }).first();
    // A click may only focus the webview (or land while the filtered rows re-render): click
    // again until the editor follows.
    await expect.poll(async () => {
      await exitLine.click({ timeout: 10_000 });
      return (await wb.activeEditorTab().textContent()) ?? '';
    }, { timeout: 60_000, interval: 2_000 }).toMatch(/kvm_para\.h|syscalls\.c/);
    await wb.screenshot('trace-line-revealed-guest-source');
    await wb.traceFrame().locator('#text-filter input').fill('');

    await wb.continueToEnd();
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('Hello World');
    const hello = wb.traceRows().filter({ hasText: 'kvm_emulate_hypercall: Hello World' });
    await hello.first().waitFor({ timeout: 30_000 });
    expect(await hello.first().textContent()).toMatch(/^\s+hc-host-1\s+\[000\] \.{5}\s+\d+\.\d{6}: kvm_emulate_hypercall: Hello World$/);
    await wb.screenshot('hello-world-in-trace');

    // The VM-exit summary, like perf kvm stat: one row per reason with its count and share.
    await wb.traceFrame().locator('vscode-tab-header', { hasText: 'VM exits' }).click();
    const stats = wb.traceFrame().locator('#stats-body vscode-table-row');
    await stats.first().waitFor({ timeout: 30_000 });
    const rows = await stats.evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')));
    const vmcall = rows.find((cells) => cells[0] === 'VMCALL');
    expect(vmcall?.[1]).toMatch(/^[1-9]\d*$/);
    expect(vmcall?.[2]).toMatch(/^\d+\.\d{2}%$/);
    expect(rows.map((cells) => cells[0])).toContain('IO_INSTRUCTION');
    await wb.screenshot('vm-exit-stats');
  }, 600_000);
});
