// Hypercall: Run on Real KVM in code-server with the packaged .vsix: the sample's guest goes
// to real KVM (the lab where this machine has no /dev/kvm) and to the model, and the
// "Real KVM vs model" panel shows the verdict, the aligned traces and real KVM's own trace;
// the Trace panel's Real KVM tab shows that trace too, and reopens the comparison.
// Without the lab (no qemu-system-x86_64, no download), the test is skipped with the reason.

import type { FrameLocator, Request, Route } from 'playwright-core';
import { ensureLab } from '../../realkvm/lab';
import { RealKvmError } from '../../realkvm/paths';
import { useWorkbench } from './startWorkbench';
import type { Workbench } from './workbench';

let noLab: string | undefined;
beforeAll(async () => {
  try {
    await ensureLab();
  } catch (e) {
    if (!(e instanceof RealKvmError)) throw e;
    noLab = e.message;
    console.log(`test/ui/realKvm skipped: ${noLab}`);
  }
}, 900_000);

const workbench = useWorkbench('realKvm');
/** The inner frame every webview loads before its page is written into it (VS Code's webview pre/fake.html). */
const FAKE_HTML = /\/fake\.html\?/;

describe('Hypercall: Run on Real KVM in code-server', () => {
  it('opens "Real KVM vs model": the sample agrees, Hello World on both sides, real KVM\'s trace in its tab', async (ctx) => {
    if (noLab) return ctx.skip();
    const { wb } = workbench();
    // The failure seen in a full run on 2026-12-05, made to happen: the comparison page's frame
    // load is aborted once. The extension must notice and open the page again by itself. The
    // Trace panel's page is loaded first: with Playwright's request interception on, a webview
    // sometimes never made its frame at all, and the interception ends with the abort.
    await wb.runCommand('Hypercall: Show Trace Panel');
    await traceView(wb);
    const forEditor = (r: Request) => !r.frame().parentFrame()?.url().includes('purpose=webviewView');
    let aborted = 0, editorFrames = 0;
    wb.page.on('request', (r) => { if (FAKE_HTML.test(r.url()) && forEditor(r)) editorFrames++; });
    const abortOnce = async (route: Route) => {
      if (aborted > 0 || !forEditor(route.request())) return route.continue();
      aborted++;
      await route.abort();
      await wb.page.context().unroute(FAKE_HTML, abortOnce);
    };
    await wb.page.context().route(FAKE_HTML, abortOnce);
    await wb.runCommand('Hypercall: Run on Real KVM');
    // The progress notification while the lab boots.
    await wb.page.locator('.notification-toast', { hasText: 'Real KVM' }).first().waitFor({ timeout: 30_000 });
    // The stage the CLI names: the lab's boot comes in every run (fetch and build only when not cached).
    await wb.page.locator('.notification-toast', { hasText: /the lab: booting Linux 6\.1\.\S+ in qemu, running the guest/ }).first().waitFor({ timeout: 120_000 });
    await wb.screenshot('progress');
    await wb.page.locator('.tab', { hasText: 'Real KVM vs model' }).waitFor({ timeout: 300_000 });
    const view = await comparisonView(wb);
    const shownAt = Date.now();
    expect(aborted, 'the comparison frame\'s load was aborted once').toBe(1);
    // The lab's default kernel (hypercall.realKvm.labKernel), named in the verdict.
    await expect.poll(() => view.locator('#summary').textContent(), { timeout: 60_000 })
      .toMatch(/ on the lab \(Debian's Linux 6\.1\.0-\d+-amd64 with kvm-amd in qemu\): the model and real KVM agree$/);
    // The page's script ran: its tab elements are defined (a loader that failed left bare markup).
    await expect.poll(() => view.locator('vscode-tabs').evaluate((el) => customElements.get(el.localName) !== undefined), { timeout: 30_000 }).toBe(true);
    const verdict = await view.locator('#verdict .aspect').allTextContents();
    expect(verdict.map((t) => t.trim().split(/\s+/)[0])).toEqual(['agree', 'agree', 'agree', 'agree', 'agree']);
    const hello = view.locator('#aligned tr.same', { hasText: 'kvm_pv_hello_hypercall: Hello World' });
    expect(await hello.locator('td').allTextContents()).toEqual([expect.any(String), '', 'kvm_pv_hello_hypercall: Hello World', 'kvm_pv_hello_hypercall: Hello World']);
    await wb.screenshot('compare');
    await view.locator('vscode-tab-header', { hasText: 'Real KVM' }).click();
    await expect.poll(() => view.locator('#real-trace').textContent(), { timeout: 10_000 }).toMatch(/kvm_exit: vcpu 0 reason (hypercall|vmmcall|VMCALL) rip/);
    expect(await view.locator('#real-console').textContent()).toContain('Hello World');
    await wb.screenshot('real-kvm-tab');

    // The same real trace beside the session's, in the Trace panel's Real KVM tab, which came forward.
    const trace = await traceView(wb);
    await expect.poll(() => trace.locator('#real-kvm-trace').textContent(), { timeout: 30_000 }).toContain('kvm_pv_hello_hypercall: Hello World');
    expect(await trace.locator('#real-kvm-trace').isVisible()).toBe(true);
    expect(await trace.locator('#real-kvm-summary').textContent()).toBe(await view.locator('#summary').textContent());
    await wb.screenshot('trace-panel-real-kvm');
    // The page said it loaded: no frame was made for it after the one that showed it, even once
    // the 10 s in which the extension waits for that have passed.
    await wb.page.waitForTimeout(Math.max(0, shownAt + 11_000 - Date.now()));
    expect(editorFrames).toBe(2);
    // Its button opens the comparison again once its page was closed.
    await wb.runCommand('View: Close All Editors');
    await wb.page.locator('.tab', { hasText: 'Real KVM vs model' }).waitFor({ state: 'detached', timeout: 30_000 });
    await trace.locator('#open-comparison').click();
    await wb.page.locator('.tab', { hasText: 'Real KVM vs model' }).waitFor({ timeout: 30_000 });
  }, 600_000);
});

/**
 * The Trace panel's webview content among the workbench's webviews (the comparison page is one
 * too), once its tab is the panel's active one. On a loaded machine the webview inside the
 * forward tab was still blank after 30 s (a clone at a path with a space, 2026-12-04): then
 * "Show Trace Panel" is run, as a user would, and the wait goes on.
 */
async function traceView(wb: Workbench): Promise<FrameLocator> {
  const page = wb.page;
  await page.locator('.part.panel .composite-bar .action-item.checked', { hasText: /Hypercall Trace/i }).first()
    .waitFor({ timeout: 30_000 }).catch(() => { throw new Error('The Trace panel did not come forward.'); });
  const deadline = Date.now() + 120_000;
  for (let shown = Date.now(); Date.now() < deadline; await page.waitForTimeout(250)) {
    const inner = await wb.webviewWith('#real-kvm-trace');
    if (inner) return inner;
    if (Date.now() - shown > 30_000) {
      await wb.runCommand('Hypercall: Show Trace Panel');
      shown = Date.now();
    }
  }
  throw new Error('The Trace panel came forward, but its page never loaded.');
}

/** The comparison page's content among the workbench's webviews (the Trace panel's is one too). */
async function comparisonView(wb: Workbench): Promise<FrameLocator> {
  // A page that has not said it loaded after 10 s gets a new panel, twice (compareView.ts).
  const deadline = Date.now() + 60_000;
  for (; Date.now() < deadline; await wb.page.waitForTimeout(250)) {
    const inner = await wb.webviewWith('#summary');
    if (inner) return inner;
  }
  throw new Error('The "Real KVM vs model" tab opened, but no webview showed its page within 60 s.');
}
