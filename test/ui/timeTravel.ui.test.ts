// Time travel in a real VS Code (issue 9): the debug toolbar's Step Back across the VM exit
// (VS Code offers Step Back and Reverse Continue only there, never in the command palette),
// the extension's Reverse Step Out button beside them, and "Go to this event" from the Trace
// panel with the current moment marked and the lines after it dimmed, then undimmed as
// Continue lives them again. Screenshots of every step go to test-artifacts/ui/time-travel/.
// Missing tooling fails the test with what to install (test/ui/setup.sh), never skips it.

import { useWorkbench } from './startWorkbench';

const workbench = useWorkbench('time-travel');

describe('time travel in code-server', () => {
  it('steps back from the host to the guest vmcall, and goes to a kvm_exit from the Trace panel', async () => {
    const { wb } = workbench();
    const stack = async () => (await wb.callStackRows().allTextContents()).join('\n');
    const topFrame = async () => (await wb.callStackRows().first().textContent()) ?? '';
    const editorTab = async () => (await wb.activeEditorTab().textContent()) ?? '';
    const stepBack = wb.debugToolbar().locator('.codicon-debug-step-back');
    const reverseContinue = wb.debugToolbar().locator('.codicon-debug-reverse-continue');
    /** Filters the Trace panel to kvm_exit lines and waits until the rows shown are only those. */
    const showExits = async () => {
      await wb.showTracePanel();
      await wb.traceFrame().locator('#text-filter input').fill('kvm_exit');
      const shown = () => wb.traceFrame().locator('#rows .row[data-row]').allTextContents();
      await expect.poll(async () => { const rows = await shown(); return rows.length > 0 && rows.every((r) => r.includes('kvm_exit:')); }, { timeout: 30_000 }).toBe(true);
    };

    // Paused at the host's first instruction: the Breakpoints view now lists the exception filters.
    await wb.runCommand("Hypercall: Debug This Folder's Guest, Paused at Entry");
    await wb.continueButton().waitFor({ timeout: 180_000 });
    await wb.enableExceptionFilter('VMCALL (hypercall)');
    await wb.runCommand('Debug: Continue');
    await expect.poll(topFrame, { timeout: 120_000 }).toMatch(/\[guest\]/);
    await expect.poll(editorTab, { timeout: 30_000 }).toMatch(/kvm_para\.h/);
    const atVmcall = { frame: await topFrame(), tab: await editorTab() };
    // The adapter's supportsStepBack puts both buttons on the toolbar.
    await stepBack.waitFor({ timeout: 30_000 });
    expect(await reverseContinue.isVisible()).toBe(true);
    await wb.screenshot('stopped-on-vmcall');

    await wb.runCommand('Debug: Step Into');
    await wb.activeEditorTab().filter({ hasText: 'x86.c' }).waitFor({ timeout: 120_000 });
    await expect.poll(stack, { timeout: 60_000 }).toMatch(/^kvm_emulate_hypercall \[host\][\s\S]*VM exit: VMCALL/);
    await wb.screenshot('stepped-into-host');

    // The extension's Reverse Step Out button: back to the call of kvm_emulate_hypercall in its caller.
    await wb.debugToolbar().locator('.codicon-arrow-circle-up').click({ timeout: 30_000 });
    await expect.poll(topFrame, { timeout: 60_000 }).toMatch(/^handle_vmcall \[host\]/);
    expect(await stack()).toContain('VM exit: VMCALL');
    await wb.screenshot('reverse-stepped-out-to-handle_vmcall');

    // Step Back by line through the rest of the host's handling, one toolbar click per stop, until the
    // guest: it lands on the vmcall the exit came from, not on the host before its VMRESUME.
    const visited: string[] = [];
    for (let i = 0; i < 30 && !(await topFrame()).includes('[guest]'); i++) {
      const before = await stack();
      await stepBack.click();
      await expect.poll(stack, { timeout: 60_000 }).not.toBe(before);
      visited.push(await topFrame());
    }
    expect(visited.slice(0, -1).every((frame) => frame.includes('[host]'))).toBe(true);
    expect(visited.some((frame) => frame.startsWith('vmx_handle_exit [host]'))).toBe(true);
    expect(await topFrame()).toBe(atVmcall.frame);
    await expect.poll(editorTab, { timeout: 30_000 }).toBe(atVmcall.tab);
    expect(await stack()).not.toContain('VM exit: VMCALL');
    const topFrameLine = wb.page.locator('.editor-group-container.active .debug-top-stack-frame-line');
    await expect.poll(() => topFrameLine.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await wb.screenshot('stepped-back-to-vmcall');

    // The kvm_exit of that vmcall has not happened in this timeline any more: dimmed, and the
    // exit before it is the current moment.
    await showExits();
    const exits = wb.traceRows().filter({ hasText: 'kvm_exit:' });
    const vmcallExit = exits.filter({ hasText: 'reason VMCALL' }).last();
    await expect.poll(() => vmcallExit.getAttribute('class'), { timeout: 30_000 }).toMatch(/\bfuture\b/);
    const classes = () => exits.evaluateAll((rows) => rows.map((r) => r.className));
    const texts = () => exits.allTextContents();
    const before = await classes();
    expect(before.length).toBeGreaterThan(1); // the sample's console writes exit before its first vmcall
    expect(before.at(-1)).toMatch(/\bfuture\b/);
    expect(before.at(-2)).toMatch(/\bcurrent\b/);
    expect(before.filter((c) => /\bcurrent\b/.test(c))).toHaveLength(1);
    // Dimmed is what the user sees: the future row is drawn fainter than the current one.
    const opacity = (row: typeof vmcallExit) => row.evaluate((r) => Number(getComputedStyle(r).opacity));
    expect(await opacity(vmcallExit)).toBeLessThan(await opacity(exits.nth(before.length - 2)));
    const exitTexts = await texts();
    const counts = await wb.traceFrame().locator('#counts').textContent();
    await wb.screenshot('trace-after-step-back');

    // "Go to this event" (the hovered row's button) on the first kvm_exit: it becomes the
    // current moment, every exit after it is dimmed, and VS Code shows the host just after that exit.
    const first = exits.first();
    const reason = /reason (\S+)/.exec((await first.textContent()) ?? '')?.[1];
    expect(reason).toBeDefined();
    expect(reason).not.toBe('VMCALL');
    // The hovered row's button is on screen at the panel's right edge, however long the line.
    await first.hover();
    await wb.traceFrame().locator('#viewport').evaluate((el) => { el.scrollLeft = 0; });
    const button = await first.locator('.go-to').boundingBox();
    const panel = await wb.traceFrame().locator('#viewport').boundingBox();
    expect(button!.x + button!.width).toBeLessThanOrEqual(panel!.x + panel!.width);
    expect(await first.evaluate((row) => row.scrollWidth > row.closest('#viewport')!.clientWidth)).toBe(true); // a line wider than the panel
    await expect.poll(async () => {
      await first.hover();
      await first.locator('.go-to').click({ timeout: 10_000 });
      return (await classes())[0];
    }, { timeout: 90_000, interval: 3_000 }).toMatch(/\bcurrent\b/);
    const after = await classes();
    expect(after[0]).not.toMatch(/\bfuture\b/);
    expect(after.slice(1).every((c) => /\bfuture\b/.test(c) && !/\bcurrent\b/.test(c))).toBe(true);
    await expect.poll(stack, { timeout: 60_000 }).toContain(`VM exit: ${reason}`);
    expect(await stack()).toMatch(/\[host\][\s\S]*VM exit: [\s\S]*\[guest\]/);
    await wb.screenshot('went-to-first-kvm_exit');

    // Continue lives the future again: the run stops on the same VMCALL, the exits before it
    // are no longer dimmed, and they are the same lines in the same places, not repeated.
    await wb.runCommand('Debug: Continue');
    await expect.poll(topFrame, { timeout: 120_000 }).toBe(atVmcall.frame);
    await expect.poll(async () => (await classes()).slice(0, -1).some((c) => /\bfuture\b/.test(c)), { timeout: 30_000 }).toBe(false);
    expect((await classes()).at(-1)).toMatch(/\bfuture\b/); // the VMCALL's own kvm_exit comes after the stop
    expect(await texts()).toEqual(exitTexts);
    expect(await wb.traceFrame().locator('#counts').textContent()).toBe(counts);
    await wb.screenshot('continued-to-vmcall-again');

    // To the end: every line has happened.
    await wb.continueToEnd();
    await showExits();
    await expect.poll(async () => (await classes()).filter((c) => /\bfuture\b|\bcurrent\b/.test(c)), { timeout: 30_000 }).toEqual([]);
    expect((await texts()).slice(0, exitTexts.length)).toEqual(exitTexts);
    await wb.screenshot('ended-all-past');
  }, 900_000);
});
