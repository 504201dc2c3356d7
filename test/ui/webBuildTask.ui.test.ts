// The sample's F5 when the extension runs in the browser's web worker extension host
// (code-server with remote.extensionKind ["web"]). VS Code runs only CustomExecution tasks
// there, so the launch configuration's preLaunchTask "hypercall: build" must still be found
// and must let the session start with the ELFs already built instead of stopping F5 at
// "Could not find the task".

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { openVsixWorkbench, REPO_ROOT, type VsixWorkbench } from './vsixWorkbench';

let session: VsixWorkbench | undefined;

afterAll(async () => {
  await session?.close();
});

describe('the build task in the browser extension host', () => {
  it('F5 in the sample runs to Hello World with no task error', async () => {
    session = await openVsixWorkbench('ui-web-build-task', (home) => {
      const folder = join(home, 'hello-hypercall');
      cpSync(join(REPO_ROOT, 'samples', 'hello-hypercall'), folder, { recursive: true });
      return folder;
    }, { 'remote.extensionKind': { 'hypercall-debug.hypercall-debug': ['web'] } });
    const wb = session.wb;
    try {
      await wb.runCommand('Debug: Start Debugging');
      const taskError = wb.page.locator('.monaco-dialog-box', { hasText: "Could not find the task 'hypercall: build'" });
      const hello = wb.page.locator('.repl', { hasText: 'Hello World' }).first();
      await Promise.race([hello.waitFor({ timeout: 180_000 }), taskError.waitFor({ timeout: 180_000 })]);
      expect(await taskError.isVisible()).toBe(false);
      expect(await hello.isVisible()).toBe(true);
      await wb.screenshot('web-f5-ran');
    } catch (e) {
      await wb.screenshot('failed').catch(() => undefined);
      throw e;
    }
  }, 600_000);
});
