// A folder with a hypercall setup but no .vscode/ (the sample without its launch.json and
// tasks.json), in a real VS Code (code-server + Chromium): F5 debugs it straight away with
// no "Select debugger" picker, and the Run view offers to add launch.json and tasks.json,
// after which it lists the configuration.

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { root, useWorkbench } from './startWorkbench';
import type { Workbench } from './workbench';

const workbench = useWorkbench('folder-setup', {}, (home) => {
  const folder = join(home, 'my hypervisor');
  cpSync(join(root, 'samples', 'hello-hypercall'), folder, { recursive: true, filter: (src) => !src.includes('.vscode') });
  return folder;
});

function ready(): Workbench {
  return workbench().wb;
}

describe('a hypercall folder without launch.json', () => {
  it('F5 debugs it with no debugger picker; the Run view adds launch.json and then lists the configuration', async () => {
    const wb = ready();
    const page = wb.page;
    await wb.runCommand('View: Show Run and Debug');
    const welcome = page.locator('.welcome-view-content');
    await welcome.locator('.monaco-button', { hasText: 'Debug the Guest' }).waitFor({ timeout: 60_000 });
    await wb.screenshot('run-view-welcome');

    // F5 from the explorer, no C file active.
    await wb.runCommand('View: Show Explorer');
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().click();
    await page.keyboard.press('F5');
    await wb.waitForDebugConsole('Hello World', 180_000);
    expect(await page.locator('.quick-input-widget', { hasText: 'Select debugger' }).isVisible()).toBe(false);
    await wb.continueToEnd();
    await wb.screenshot('f5-ran-the-guest');

    await wb.runCommand('View: Show Run and Debug');
    await welcome.locator('a, .monaco-button', { hasText: 'add launch.json and tasks.json' }).first().click({ timeout: 30_000 });
    await wb.activeEditorTab().filter({ hasText: 'launch.json' }).waitFor({ timeout: 60_000 });
    const configurations = page.locator('.start-debug-action-item select option');
    await expect.poll(() => configurations.allTextContents(), { timeout: 60_000 }).toContain('Debug hello-hypercall');
    await wb.screenshot('launch-json-added');
  }, 600_000);
});
