// Time travel in a real VS Code (issue 9): the Step Back button across the VM exit, and
// "Go to this event" from the Trace panel with the current moment marked and the lines after
// it dimmed. Screenshots of every step go to test-artifacts/ui/time-travel/.
// Missing tooling fails the test with what to install (test/ui/setup.sh), never skips it.

import { useWorkbench } from './startWorkbench';

const workbench = useWorkbench('time-travel');

describe('time travel in code-server', () => {
  it('steps back from the host to the guest vmcall, and goes to a kvm_exit from the Trace panel', async () => {
    const { wb } = workbench();
    const stack = async () => (await wb.callStackRows().allTextContents()).join('\n');
    const topFrame = async () => (await wb.callStackRows().first().textContent()) ?? '';
    const editorTab = async () => (await wb.activeEditorTab().textContent()) ?? '';

    // A first run to the end: after it the Breakpoints view lists the adapter's exception filters.
    await wb.openFile('kvm_para.h');
    await wb.startDebugging();
    await wb.continueToEnd();
    await wb.enableExceptionFilter('VMCALL (hypercall)');
    await wb.startDebugging();
    await wb.continueButton().waitFor({ timeout: 120_000 });
    await expect.poll(stack, { timeout: 30_000 }).not.toBe('');
    const atVmcall = { frame: await topFrame(), tab: await editorTab() };
    expect(atVmcall.frame).not.toBe('');
    await wb.screenshot('stopped-on-vmcall');

    await wb.runCommand('Debug: Step Into');
    await wb.activeEditorTab().filter({ hasText: 'x86.c' }).waitFor({ timeout: 120_000 });
    await expect.poll(stack, { timeout: 60_000 }).toContain('VM exit: VMCALL');
    await wb.screenshot('stepped-into-host');

    // Step Back from the host's first line after the exit lands on the guest's vmcall again.
    await wb.runCommand('Debug: Step Back');
    await expect.poll(topFrame, { timeout: 60_000 }).toBe(atVmcall.frame);
    await expect.poll(editorTab, { timeout: 30_000 }).toBe(atVmcall.tab);
    expect(await stack()).not.toContain('VM exit: VMCALL');
    await wb.screenshot('stepped-back-to-vmcall');

    // The kvm_exit of that vmcall has not happened in this timeline any more: shown dimmed,
    // the exit before it is the current moment.
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('kvm_exit');
    const exits = wb.traceRows().filter({ hasText: 'kvm_exit:' });
    const vmcallExit = exits.filter({ hasText: 'reason VMCALL' }).last();
    await expect.poll(() => vmcallExit.getAttribute('class'), { timeout: 30_000 }).toMatch(/\bfuture\b/);
    const classes = () => exits.evaluateAll((rows) => rows.map((r) => r.className));
    const before = await classes();
    expect(before.length).toBeGreaterThan(1); // the sample's console writes exit before its first vmcall
    expect(before.at(-1)).toMatch(/\bfuture\b/);
    expect(before.at(-2)).toMatch(/\bcurrent\b/);
    expect(before.filter((c) => /\bcurrent\b/.test(c))).toHaveLength(1);
    await wb.screenshot('trace-after-step-back');

    // "Go to this event" on the first kvm_exit: it becomes the current moment, every exit after it is dimmed,
    // and VS Code shows the host just after that exit.
    const first = exits.first();
    const reason = /reason (\S+)/.exec((await first.textContent()) ?? '')?.[1];
    expect(reason).toBeDefined();
    await expect.poll(async () => {
      await first.hover();
      await first.locator('.go-to').click({ timeout: 10_000 });
      return (await classes())[0];
    }, { timeout: 90_000, interval: 3_000 }).toMatch(/\bcurrent\b/);
    const after = await classes();
    expect(after.slice(1).every((c) => /\bfuture\b/.test(c) && !/\bcurrent\b/.test(c))).toBe(true);
    expect(after[0]).not.toMatch(/\bfuture\b/);
    await expect.poll(stack, { timeout: 60_000 }).toContain(`VM exit: ${reason}`);
    expect(await wb.callStackRows().count()).toBeGreaterThan(1);
    await wb.screenshot('went-to-first-kvm_exit');
  }, 600_000);
});
