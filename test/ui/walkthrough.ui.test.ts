// The "Your first hypercall" walkthrough in a real VS Code (code-server + Chromium), walked
// as a new user would: from an empty folder, each step done only with what its own text
// offers (its button, then the UI it names), and each step must then show as complete.
// The custom-hypercall step rebuilds the sample with the "hypercall: build" task, so it
// needs gcc and make (the README's requirements).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { useWorkbench } from './startWorkbench';
import type { Workbench } from './workbench';

const workbench = useWorkbench('walkthrough', {}, (home) => {
  const empty = join(home, 'empty folder');
  mkdirSync(empty);
  return empty;
});

function ready(): Workbench {
  return workbench().wb;
}

/**
 * Opens the walkthrough, expands a step and presses the button its description offers: a try
 * again after a pick closed finds the Welcome page wherever the focus change left it.
 */
async function openStepButton(wb: Workbench, id: string, label: string): Promise<void> {
  await wb.openWalkthrough();
  await pressStepButton(wb, id, label);
}

/** Expands a step and presses the button its description offers. */
async function pressStepButton(wb: Workbench, id: string, label: string): Promise<void> {
  await wb.walkthroughStep(id).click();
  await wb.page.locator(`.step-description-container[x-step-description-for$="#${id}"] .monaco-button`, { hasText: label }).click({ timeout: 30_000 });
}

/** Reopens the walkthrough (debugging may have replaced its tab) and waits for the step's check mark. */
async function expectStepDone(wb: Workbench, id: string): Promise<void> {
  await wb.openWalkthrough();
  await expect.poll(() => wb.walkthroughStep(id).getAttribute('aria-checked'), { timeout: 60_000 }).toBe('true');
  await wb.screenshot(`done-${id}`);
}

/**
 * The Trace panel's document. Workbench.traceFrame() takes the first webview, but here the
 * walkthrough's markdown is one too: pick the webview of this extension.
 */
function ourWebview(wb: Workbench): FrameLocator {
  return wb.page.locator('iframe.webview.ready[src*="extensionId=hypercall-debug.hypercall-debug"]').first().contentFrame().locator('iframe#active-frame').contentFrame();
}

/** Waits for a stop whose call stack shows `frame`. */
async function waitForStopIn(wb: Workbench, frame: string): Promise<void> {
  await wb.continueButton().waitFor({ timeout: 180_000 });
  await expect.poll(async () => (await wb.callStackRows().allTextContents()).join('\n'), { timeout: 60_000 }).toContain(frame);
}

describe('the walkthrough, step by step', () => {
  it('opens the sample from an empty folder; F5 then has a configuration to run', async () => {
    const wb = ready();
    await wb.openWalkthrough();
    expect(await wb.walkthroughStep('openSample').getAttribute('aria-checked')).toBe('false');
    await wb.untilDone(() => openStepButton(wb, 'openSample', 'Open the Sample'), () => wb.pickRow('Extension storage'));
    // The window reloads into the copied sample.
    await wb.page.waitForURL(/hello-hypercall/, { timeout: 120_000 });
    await wb.waitForWorkbench();
    await wb.screenshot('sample-opened');
    await expectStepDone(wb, 'openSample');

    // The Run view lists the sample's configuration (no "No Configurations", no debugger picker).
    await wb.runCommand('View: Show Run and Debug');
    const configurations = wb.page.locator('.start-debug-action-item select option');
    await expect.poll(() => configurations.allTextContents(), { timeout: 60_000 }).toContain('Debug hello-hypercall');
  }, 600_000);

  it('breaks on the vmcall: paused at entry, the VMCALL filter ticked, Continue', async () => {
    const wb = ready();
    await wb.openWalkthrough();
    await pressStepButton(wb, 'breakOnVmcall', 'Debug, Paused at Entry');
    await wb.continueButton().waitFor({ timeout: 180_000 }); // after the rebuild, at the host's first instruction
    await wb.screenshot('paused-at-entry');
    await wb.enableExceptionFilter('VMCALL (hypercall)');
    await wb.runCommand('Debug: Continue');
    await waitForStopIn(wb, 'kvm_hypercall0 [guest]');
    await wb.screenshot('stopped-on-vmcall');
    await expectStepDone(wb, 'breakOnVmcall');
  }, 600_000);

  it('steps into kvm_emulate_hypercall with the step\'s own button', async () => {
    const wb = ready();
    await wb.openWalkthrough();
    await pressStepButton(wb, 'stepIntoHost', 'Step Into');
    await waitForStopIn(wb, 'VM exit: VMCALL');
    expect((await wb.callStackRows().allTextContents()).join('\n')).toMatch(/kvm_emulate_hypercall[\s\S]*VM exit: VMCALL/);
    await wb.screenshot('stepped-into-host');
    await expectStepDone(wb, 'stepIntoHost');
  }, 600_000);

  it('reads Hello World in the Trace panel after running to the end', async () => {
    const wb = ready();
    await wb.continueToEnd();
    await wb.openWalkthrough();
    // The Trace panel came forward by itself at the session's first trace event, so the step may already be done.
    await pressStepButton(wb, 'readTrace', 'Show the Trace Panel');
    const trace = ourWebview(wb);
    await trace.locator('#text-filter input').fill('Hello World', { timeout: 60_000 });
    await trace.locator('#rows .row').filter({ hasText: 'kvm_pv_hello_hypercall: Hello World' }).first().waitFor({ timeout: 60_000 });
    await wb.screenshot('hello-world-in-trace');
    await expectStepDone(wb, 'readTrace');
  }, 600_000);

  it('adds a hypercall (an invalid name is refused while typing), F5 rebuilds, its line is in the trace', async () => {
    const wb = ready();
    const input = wb.page.locator('.quick-input-widget input');
    const message = wb.page.locator('.quick-input-widget .quick-input-message');
    await wb.untilDone(() => openStepButton(wb, 'addHypercall', 'Create a Hypercall'), async () => {
      await input.fill('my-ping!', { timeout: 30_000 });
      await expect.poll(() => message.textContent(), { timeout: 30_000 }).toContain('"my-ping!" is not a usable hypercall name ("-", "!" cannot be part of a C name)');
    });
    await wb.screenshot('invalid-name');
    await input.fill('ping');
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).not.toContain('not a usable');
    await input.press('Enter');
    await wb.activeEditorTab().filter({ hasText: 'ping.c' }).waitFor({ timeout: 60_000 });

    // F5 from the editor: the launch configuration's preLaunchTask rebuilds with make first.
    await wb.runCommand('Debug: Start Debugging');
    await wb.debugToolbar().waitFor({ timeout: 180_000 });
    await wb.continueToEnd(180_000); // the VMCALL filter is still ticked: one stop per hypercall
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('kvm_pv_ping: ping');
    await wb.traceRows().filter({ hasText: 'kvm_pv_ping: ping' }).first().waitFor({ timeout: 60_000 });
    await wb.screenshot('custom-hypercall-in-trace');
    await expectStepDone(wb, 'addHypercall');

    // Every step of the walkthrough is complete.
    const steps = wb.page.locator('button.getting-started-step');
    expect(await steps.evaluateAll((buttons) => buttons.map((b) => [b.getAttribute('data-step-id')?.split('#').pop(), b.getAttribute('aria-checked')])))
      .toEqual([['openSample', 'true'], ['breakOnVmcall', 'true'], ['stepIntoHost', 'true'], ['readTrace', 'true'], ['addHypercall', 'true'],
        ['deployRealKvm', 'false']]); // its command boots the lab: test/ui/realKvm.ui.test.ts runs it
  }, 900_000);
});
