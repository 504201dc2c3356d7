// One real VS Code for a UI test file: the packaged .vsix installed into a fresh code-server,
// a folder opened in headless Chromium, and everything torn down by close(). Screenshots go
// to test-artifacts/<name>/.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, CodeServer, missingTooling } from './codeServer';
import { Workbench } from './workbench';

export const REPO_ROOT = resolve(__dirname, '../..');

export interface VsixWorkbench {
  wb: Workbench;
  server: CodeServer;
  /** A fresh folder for this test's files (code-server's data lives in it too). */
  home: string;
  close(): Promise<void>;
}

function packageVsix(artifacts: string): string {
  if (!existsSync(join(REPO_ROOT, 'dist', 'extension.js')) || !existsSync(join(REPO_ROOT, 'dist', 'webview', 'webview.js'))) {
    throw new Error('dist/extension.js or dist/webview/webview.js is missing: run `npm run build` before the UI test (npm test does).');
  }
  const vsix = join(artifacts, 'hypercall-debug.vsix');
  execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '-o', vsix],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return vsix;
}

/**
 * Installs the .vsix and opens `folder(home)` (created by the callback, e.g. a copy of the
 * sample) with quiet user settings plus `settings`.
 */
export async function openVsixWorkbench(name: string, folder: (home: string) => string, settings: Record<string, unknown> = {}): Promise<VsixWorkbench> {
  const missing = missingTooling();
  if (missing) throw new Error(missing);
  const artifacts = join(REPO_ROOT, 'test-artifacts', name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const vsix = packageVsix(artifacts);
  const home = mkdtempSync(join(tmpdir(), `hcdbg-${name}-`));
  const server = new CodeServer(home);
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    server.stop();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    server.writeSettings({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      ...settings,
    });
    const installed = server.installExtension(vsix);
    if (!/hypercall-debug/.test(installed)) throw new Error(`code-server did not install the .vsix: ${installed}`);
    const url = await server.start(folder(home));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1600, height: 1200 } });
    // code-server's PWA service worker would claim the webview frames (see extension.ui.test.ts).
    await context.route('**/_static/out/browser/serviceWorker.js', (route) => route.fulfill({ status: 404, body: '' }));
    const page = await context.newPage();
    const wb = new Workbench(page, artifacts);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 180_000 });
    await wb.waitForWorkbench();
    return { wb, server, home, close };
  } catch (e) {
    await close();
    throw e;
  }
}
