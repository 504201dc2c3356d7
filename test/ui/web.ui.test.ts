// The browser entry (dist/web.js) in a real browser workbench: code-server with the user
// setting remote.extensionKind = ["web"] for the extension, so the extension, its inline
// adapter and the emulator run in the web worker extension host and every file is reached
// through the workspace's own file system (vscode-remote://...), never file:. The whole
// story there: F5, stop on vmcall with the guest source shown, step into
// kvm_emulate_hypercall with x86.c shown, a breakpoint in the Hello World handler hit, a trace line opening
// its source, Hello World in the Trace panel. Screenshots go to test-artifacts/ui/web/.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, useWorkbench } from './startWorkbench';
import type { Workbench } from './workbench';

const EXTENSION_ID = (() => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return `${manifest.publisher}.${manifest.name}`;
})();
const HELLO_LINE = readFileSync(join(root, 'samples/hello-hypercall/host/hypercalls/hello_hypercall.c'), 'utf8').split('\n').findIndex((l) => l.includes('MARK: host-hello */')) + 1;

const ready = useWorkbench('web', { 'remote.extensionKind': { [EXTENSION_ID]: ['web'] } });

/**
 * The active editor's file as its breadcrumbs name it: relative to the opened folder
 * ("include/kvm_para.h") for a file in it, from the root for any other (a checkout's copy).
 */
async function activeEditorFile(wb: Workbench): Promise<string> {
  const items = await wb.page.locator('.editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item').allTextContents();
  const file = items.findIndex((item) => /\.[ch]$/.test(item.trim()));
  return items.slice(0, file + 1).map((item) => item.trim()).join('/');
}

/** Scripts the web worker extension host fetched (extensions load as scripts of the worker). */
async function workerScripts(wb: Workbench): Promise<string[]> {
  const names = await Promise.all(wb.page.workers().map((w) => w.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name)).catch(() => [] as string[])));
  return names.flat().map((name) => decodeURIComponent(name));
}

describe('the web extension in code-server', () => {
  it('runs in the web worker extension host and debugs the sample with its sources', async () => {
    const { wb } = ready();
    const page = wb.page;
    // F5 from a C file, the whole run: Hello World reaches the Trace panel. The sample's
    // launch.json runs the "hypercall: build" preLaunchTask first, which this extension host
    // can only run as the extension's own CustomExecution task.
    await wb.openFile('kvm_para.h');
    await wb.startDebugging();
    await wb.continueToEnd();
    expect(await page.locator('.monaco-dialog-box', { hasText: "Could not find the task 'hypercall: build'" }).count()).toBe(0);
    // The extension was loaded by the web worker extension host: its browser entry.
    expect(await workerScripts(wb)).toContainEqual(expect.stringMatching(new RegExp(`/${EXTENSION_ID.replace('.', '\\.')}-[^/]+/dist/web\\.js`)));
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('Hello World');
    const hello = wb.traceRows().filter({ hasText: 'kvm_pv_hello_hypercall: Hello World' });
    await hello.first().waitFor({ timeout: 60_000 });
    expect(await hello.first().textContent()).toMatch(/^\s+hc-host-1\s+\[000\] \.{5}\s+\d+\.\d{6}: kvm_pv_hello_hypercall: Hello World$/);
    await wb.screenshot('hello-world-in-trace');
    await wb.traceFrame().locator('#text-filter input').fill('');

    // A breakpoint in the host's Hello World handler, set from the editor before the session
    // starts; then no editor open, so what opens next is the debugger's doing.
    await wb.openFile('hello_hypercall.c');
    await wb.goToLine(HELLO_LINE);
    await wb.runCommand('Debug: Toggle Breakpoint');
    await page.locator('.editor-group-container.active .codicon-debug-breakpoint').first().waitFor({ timeout: 30_000 });
    await wb.runCommand('View: Close All Editors');

    await wb.enableExceptionFilter('VMCALL (hypercall)');
    await wb.startDebugging();
    await wb.continueButton().waitFor({ timeout: 120_000 });
    // The guest's vmcall sits in kvm_hypercall0() of include/kvm_para.h: that file of the opened folder.
    await wb.activeEditorTab().filter({ hasText: 'kvm_para.h' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => activeEditorFile(wb), { timeout: 30_000 }).toBe('include/kvm_para.h');
    await wb.screenshot('stopped-on-vmcall');

    await wb.runCommand('Debug: Step Into');
    await wb.activeEditorTab().filter({ hasText: 'x86.c' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => activeEditorFile(wb), { timeout: 30_000 }).toBe('host/x86.c');
    const stack = async () => (await wb.callStackRows().allTextContents()).join('\n');
    await expect.poll(stack, { timeout: 60_000 }).toMatch(/kvm_emulate_hypercall[\s\S]*VM exit: VMCALL/);
    await wb.screenshot('stepped-into-kvm_emulate_hypercall');

    // The kvm_exit line of the Trace panel opens the guest source of its RIP.
    await wb.revealTraceLine('reason VMCALL', 'kvm_exit: vcpu 0 reason VMCALL', () => activeEditorFile(wb),
      /^(include\/kvm_para\.h|guest\/syscalls\.c)$/, 'trace-line-revealed-guest-source');

    // Continue: the breakpoint set in the editor is hit, on its line, in one hello_hypercall.c tab.
    await wb.runCommand('Debug: Continue');
    await expect.poll(async () => (await wb.callStackRows().first().textContent()) ?? '', { timeout: 60_000 })
      .toMatch(new RegExp(`^kvm_pv_hello_hypercall \\[host\\]\\s*hello_hypercall\\.c\\s*${HELLO_LINE}:`));
    expect(await page.locator('.editor-group-container .tabs-container .tab', { hasText: 'hello_hypercall.c' }).count()).toBe(1);
    await wb.screenshot('breakpoint-in-handler');

    // The Disassembly view at this stop: host code, no unreadable "??" rows; it closes with the session.
    await wb.runCommand('Open Disassembly View');
    const disassembly = page.locator('.disassembly-view .monaco-list-row');
    await expect.poll(() => disassembly.allTextContents(), { timeout: 30_000 }).toContainEqual(expect.stringMatching(/call\s/));
    expect((await disassembly.allTextContents()).filter((row) => /\?\?/.test(row))).toEqual([]);
    await wb.screenshot('disassembly');

    await wb.continueToEnd();
    await expect.poll(() => page.locator('.tabs-container .tab', { hasText: /^Disassembly$/ }).count(), { timeout: 30_000 }).toBe(0);
    expect(await page.locator('.notifications-toasts', { hasText: /could not be opened|Unable to read file/ }).count()).toBe(0);
  }, 600_000);
});
