// Child processes for the real-KVM path, awaited rather than blocking, so a lab boot or a
// module build leaves the event loop free (progress, Ctrl+C, a test runner's heartbeat). A
// deadline kills the child with SIGKILL: nothing outlives the call.

import { spawn } from 'node:child_process';

export interface ExecResult { status: number | null; stdout: string; stderr: string; timedOut: boolean; error?: Error }

export function execAsync(cmd: string, args: readonly string[], timeoutMs = 0): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs) : undefined;
    child.on('error', (error) => { clearTimeout(timer); resolve({ status: null, stdout, stderr, timedOut, error }); });
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, timedOut }); });
  });
}
