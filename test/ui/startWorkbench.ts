// One real workbench per UI test file: the packaged .vsix installed into a fresh code-server,
// a copy of the sample opened as the folder, and headless Debian Chromium on it. Each file
// gets its own artifacts folder (test-artifacts/ui/<name>/: the .vsix and a screenshot per step).
// vitest runs test files in parallel; two code-servers and browsers on a 2-core machine
// starve each other, so a workbench waits for the previous one to stop (a lock folder).

import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, CodeServer, missingTooling } from './codeServer';
import { Workbench } from './workbench';
import { MissingTool } from '../tools';

export const root = resolve(__dirname, '../..');
const sample = join(root, 'samples', 'hello-hypercall');

/** User settings for a quiet, deterministic workbench. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'debug.openDebug': 'openOnDebugBreak',
};

export interface StartedWorkbench {
  wb: Workbench;
  /** The opened folder: a copy of samples/hello-hypercall unless the test made another. */
  folder: string;
  server: CodeServer;
  stop(): Promise<void>;
}

const LOCK = join(tmpdir(), 'hcdbg-ui-workbench.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the one-workbench-at-a-time lock (a folder naming its owner's pid); a dead owner's lock is taken over. */
async function lockWorkbench(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      let owner = NaN;
      try { owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written or removed */ }
      if (Number.isInteger(owner) && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

function packageVsix(artifacts: string): string {
  if (!existsSync(join(root, 'dist', 'extension.js')) || !existsSync(join(root, 'dist', 'webview', 'webview.js'))) {
    throw new Error('dist/extension.js or dist/webview/webview.js is missing: run `npm run build` before the UI test (npm test does).');
  }
  const vsix = join(artifacts, 'hypercall-debug.vsix');
  execFileSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '-o', vsix],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return vsix;
}

/** The folder a workbench opens, made inside its fresh home: by default a copy of the sample. */
export type FolderMaker = (home: string) => string;

const copyOfSample: FolderMaker = (home) => {
  const folder = join(home, 'hello-hypercall');
  cpSync(sample, folder, { recursive: true });
  return folder;
};

/** Starts code-server with the extension and `settings` on top of the quiet ones, and a browser on it. */
export async function startWorkbench(name: string, settings: Record<string, unknown> = {}, makeFolder: FolderMaker = copyOfSample): Promise<StartedWorkbench> {
  const missing = missingTooling();
  if (missing) throw new MissingTool(missing);
  const unlock = await lockWorkbench();
  const home = mkdtempSync(join(tmpdir(), 'hcdbg-ui-'));
  const server = new CodeServer(home);
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close();
    server.stop();
    rmSync(home, { recursive: true, force: true });
    unlock();
  };
  try {
    const artifacts = join(root, 'test-artifacts', 'ui', name);
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    const vsix = packageVsix(artifacts);
    server.writeSettings({ ...QUIET_SETTINGS, ...settings });
    const installed = server.installExtension(vsix);
    if (!/hypercall-debug/.test(installed)) throw new Error(`code-server did not install the .vsix: ${installed}`);
    const folder = makeFolder(home);
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
    // Errors of the workbench and its webview frames, for the failures a screenshot cannot explain.
    const log = (line: string) => appendFileSync(join(artifacts, 'browser.log'), `${new Date().toISOString()} ${line}\n`);
    page.on('console', (m) => { if (m.type() === 'error') log(`console.error: ${m.text()}`); });
    page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => log(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const wb = new Workbench(page, artifacts);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 180_000 });
    await wb.waitForWorkbench();
    await wb.screenshot('workbench');
    return { wb, folder, server, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Call at the top of a UI test file: one workbench for the file's tests (a failed test leaves
 * a screenshot), stopped after them. Returns the getter; it throws the set-up failure, if any.
 */
export function useWorkbench(name: string, settings: Record<string, unknown> = {}, makeFolder?: FolderMaker): () => StartedWorkbench {
  let started: StartedWorkbench | undefined;
  let setupError: Error | undefined;
  beforeAll(async () => {
    try {
      started = await startWorkbench(name, settings, makeFolder);
    } catch (e) {
      setupError = e as Error;
    }
  }, 900_000); // may wait for another UI test file's workbench
  afterAll(async () => {
    await started?.stop();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') await started?.wb.screenshot('failed').catch(() => undefined);
  });
  return () => {
    if (setupError || !started) throw setupError ?? new Error('The workbench did not start.');
    return started;
  };
}
