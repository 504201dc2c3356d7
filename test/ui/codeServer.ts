// A real VS Code for the UI test: code-server (VS Code 1.100.3 in the browser) installed by
// test/ui/setup.sh outside the repo, started on a free loopback port with fresh user data
// and extensions folders, and stopped by its own process group.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM = process.env.HCDBG_CHROMIUM ?? '/usr/bin/chromium';

export function codeServerBinary(): string {
  const cache = process.env.HCDBG_CI_CACHE ?? join(homedir(), '.cache', 'hcdbg-ci');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
}

/** Every tool the UI test needs, or one sentence saying what is missing and how to get it. */
export function missingTooling(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(codeServerBinary())) missing.push(`code-server ${CODE_SERVER_VERSION} (${codeServerBinary()})`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}, Debian package chromium)`);
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    missing.push('the playwright-core package');
  }
  return missing.length ? `The UI test needs ${missing.join(', ')}: run test/ui/setup.sh (as .ci/run does) and npm ci.` : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export class CodeServer {
  private process: ChildProcess | undefined;
  private log = '';
  port = 0;

  constructor(private readonly home: string) {}

  get userDataDir(): string {
    return join(this.home, 'user-data');
  }

  get extensionsDir(): string {
    return join(this.home, 'extensions');
  }

  /** User settings for a quiet, deterministic workbench. */
  writeSettings(settings: Record<string, unknown>): void {
    const dir = join(this.userDataDir, 'User');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  }

  installExtension(vsix: string): string {
    return execFileSync(codeServerBinary(), [
      '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, '--install-extension', vsix, '--force',
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  }

  async start(folder: string): Promise<string> {
    this.port = await freePort();
    this.process = spawn(codeServerBinary(), [
      '--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override',
      '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, folder,
    ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => { this.log += chunk.toString(); };
    this.process.stdout!.on('data', collect);
    this.process.stderr!.on('data', collect);
    const url = `http://127.0.0.1:${this.port}`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) throw new Error(`code-server exited with code ${this.process.exitCode}:\n${this.log}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) return `${url}/?folder=${encodeURIComponent(folder)}`;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not answer on ${url} within 60 s:\n${this.log}`);
  }

  output(): string {
    return this.log;
  }

  stop(): void {
    const pid = this.process?.pid;
    if (pid === undefined || this.process?.exitCode !== null) return;
    try {
      process.kill(-pid, 'SIGTERM'); // the group of the code-server we started
    } catch {
      // already gone
    }
  }
}
