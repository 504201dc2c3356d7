// Hypercall: Run on Real KVM. The guest and host F5 would debug (the first "hypercall" launch
// configuration, else the folder's build/guest.elf) go to the shipped CLI, `hcdbg compare
// --json`, with the folder whose host/hypercalls/*.c the hypercall module is built from (the
// sample copy those ELFs were built in, else the opened folder), in a child process: the
// lab's qemu and module build stay out of the extension host, and cancelling is a SIGINT to
// the child's process group, which the lab cleans up on (realkvm/lab.ts). Desktop only: the
// web entry has no processes.

import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { LAB_STAGE_PREFIX } from '../../realkvm/lab';
import { hasHypercallFolder, sampleFolderOf } from '../../realkvm/paths';
import { DEBUG_TYPE, type HypercallConfigurationProvider } from '../configurationProvider';
import type { TracePanel } from '../trace/panel';
import { summaryText, type CompareResult } from './compareHtml';
import { showCompareView } from './compareView';

const RAN_ON_REAL_KVM = 'hypercall.walkthrough.ranOnRealKvm';

/** hcdbg's exit status when no real KVM could be had (realkvm/cli.ts). */
const NO_REAL_KVM = 3;

async function launchTarget(provider: HypercallConfigurationProvider): Promise<{ guest: string; host: string; sample?: string; cwd?: string } | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const configs = vscode.workspace.getConfiguration('launch', folder?.uri).get<vscode.DebugConfiguration[]>('configurations') ?? [];
  const chosen = configs.find((c) => c.type === DEBUG_TYPE && c.request === 'launch') ?? ({} as vscode.DebugConfiguration);
  const config = await provider.resolveDebugConfiguration(folder, chosen);
  if (!config) return undefined;
  // The variables VS Code would substitute after resolution for a launch.
  const path = (p: string) => {
    const s = p.replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '');
    return isAbsolute(s) ? s : resolve(config.cwd ?? folder?.uri.fsPath ?? '.', s);
  };
  const guest = path(String(config.guest)), host = path(String(config.host));
  const opened = folder && hasHypercallFolder(folder.uri.fsPath) ? folder.uri.fsPath : undefined;
  return { guest, host, sample: sampleFolderOf(host) ?? sampleFolderOf(guest) ?? opened, cwd: config.cwd };
}

/** The last thing hcdbg said on stderr, without its prefix: its one sentence on a failure. */
const lastSentence = (stderr: string) => stderr.trim().split('\n').pop()?.replace(/^hcdbg: /, '') ?? '';

export async function runOnRealKvm(extensionUri: vscode.Uri, provider: HypercallConfigurationProvider, panel: TracePanel): Promise<CompareResult | undefined> {
  const target = await launchTarget(provider);
  if (!target) return undefined;
  const hcdbg = vscode.Uri.joinPath(extensionUri, 'dist', 'hcdbg.js').fsPath;
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Real KVM', cancellable: true },
    (progress, token) => new Promise<{ status: number | null; stdout: string; stderr: string; cancelled: boolean }>((done) => {
      const labKernel = vscode.workspace.getConfiguration('hypercall.realKvm').get<string>('labKernel', '6.1');
      const args = ['compare', '--guest', target.guest, '--host', target.host, ...(target.sample ? ['--sample', target.sample] : []), '--lab-kernel', labKernel, '--json'];
      const child = spawn(process.execPath, [hcdbg, ...args], {
        cwd: target.cwd, detached: true, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
      let stdout = '', stderr = '', stage = 'running the guest on the model and on real KVM', cancelled = false;
      const started = Date.now();
      const report = () => progress.report({ message: `${stage} (${Math.round((Date.now() - started) / 1000)} s)` });
      report();
      const tick = setInterval(report, 1000);
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // The CLI names each stage of the lab: fetching its kernel (first use), building the module, booting qemu.
        const said = stderr.split('\n').filter((l) => l.startsWith(LAB_STAGE_PREFIX)).pop();
        if (said) stage = `the lab: ${said.slice(LAB_STAGE_PREFIX.length)}`;
        report();
      });
      const group = (signal: NodeJS.Signals) => { try { process.kill(-child.pid!, signal); } catch { /* already gone */ } };
      const onCancel = token.onCancellationRequested(() => {
        cancelled = true;
        group('SIGINT');
        setTimeout(() => group('SIGKILL'), 10_000).unref();
      });
      const finish = (status: number | null) => { clearInterval(tick); onCancel.dispose(); done({ status, stdout, stderr, cancelled }); };
      child.on('error', (e) => { stderr += `hcdbg: ${e.message}\n`; finish(null); });
      child.on('close', (status) => finish(status));
    }),
  );
  if (outcome.cancelled) return undefined;
  if (outcome.status === NO_REAL_KVM) {
    void vscode.window.showErrorMessage(`No real KVM to run on: ${lastSentence(outcome.stderr)}`);
    return undefined;
  }
  if (outcome.status !== 0 && outcome.status !== 1) {
    void vscode.window.showErrorMessage(`Run on Real KVM failed: ${lastSentence(outcome.stderr) || `hcdbg compare ended with status ${outcome.status}.`}`);
    return undefined;
  }
  const result = JSON.parse(outcome.stdout) as CompareResult;
  // Real KVM's trace also beside the session's, in the Trace panel's Real KVM tab. The panel
  // comes first: with the two webviews made at once, the comparison page stayed blank in one
  // run of four (code-server, 2026-12-05: its frame's load was aborted).
  await panel.showRealKvm({ summary: summaryText(result), trace: result.real.trace });
  showCompareView(extensionUri, result);
  // The walkthrough's "Deploy your hypercall to real KVM" is done once a comparison came back.
  void vscode.commands.executeCommand('setContext', RAN_ON_REAL_KVM, true);
  return result;
}
