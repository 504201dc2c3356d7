// Hypercall: Run on Real KVM in code-server with the packaged .vsix: the sample's guest goes
// to real KVM (the lab where this machine has no /dev/kvm) and to the model, and the
// "Real KVM vs model" panel shows the verdict, the aligned traces and real KVM's own trace.
// Without the lab (no qemu-system-x86_64, no download), the test is skipped with the reason.

import { ensureLab } from '../../realkvm/lab';
import { RealKvmError } from '../../realkvm/paths';
import { useWorkbench } from './startWorkbench';

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

describe('Hypercall: Run on Real KVM in code-server', () => {
  it('opens "Real KVM vs model": the sample agrees, Hello World on both sides, real KVM\'s trace in its tab', async (ctx) => {
    if (noLab) return ctx.skip();
    const { wb } = workbench();
    await wb.runCommand('Hypercall: Run on Real KVM');
    // The progress notification while the lab boots.
    await wb.page.locator('.notification-toast', { hasText: 'Real KVM' }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('progress');
    await wb.page.locator('.tab', { hasText: 'Real KVM vs model' }).waitFor({ timeout: 300_000 });
    const view = wb.page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
    // The lab's default kernel (hypercall.realKvm.labKernel), named in the verdict.
    await expect.poll(() => view.locator('#summary').textContent(), { timeout: 60_000 })
      .toMatch(/ on the lab \(Debian's Linux 6\.1\.0-\d+-amd64 with kvm-amd in qemu\): the model and real KVM agree$/);
    const verdict = await view.locator('#verdict .aspect').allTextContents();
    expect(verdict.map((t) => t.trim().split(/\s+/)[0])).toEqual(['agree', 'agree', 'agree', 'agree', 'agree']);
    const hello = view.locator('#aligned tr.same', { hasText: 'kvm_pv_hello_hypercall: Hello World' });
    expect(await hello.locator('td').allTextContents()).toEqual([expect.any(String), '', 'kvm_pv_hello_hypercall: Hello World', 'kvm_pv_hello_hypercall: Hello World']);
    await wb.screenshot('compare');
    await view.locator('vscode-tab-header', { hasText: 'Real KVM' }).click();
    await expect.poll(() => view.locator('#real-trace').textContent(), { timeout: 10_000 }).toMatch(/kvm_exit: vcpu 0 reason (hypercall|vmmcall|VMCALL) rip/);
    expect(await view.locator('#real-console').textContent()).toContain('Hello World');
    await wb.screenshot('real-kvm-tab');
  }, 600_000);
});
