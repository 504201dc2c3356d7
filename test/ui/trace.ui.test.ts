// The Trace panel as a new user meets it, in code-server with the packaged .vsix: F5 brings
// the panel forward by itself, the ftrace header is folded so events are in view, a
// kvm_hypercall line still opens the host's trace_kvm_hypercall call after the session
// ended, and Export Trace writes both formats where the user says, the filtered rows or all.
// Missing tooling fails the test with what to install (test/ui/setup.sh), never skips it.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromeTraceProblems } from '../trace/chromeTraceRules';
import { useWorkbench } from './startWorkbench';
import type { Workbench } from './workbench';

const workbench = useWorkbench('trace');

function ready(): Workbench {
  return workbench().wb;
}

/** Clicks the panel's Export button, answers the quick picks, types `path` into the save dialog. */
async function exportFromPanel(answers: string[], path: string): Promise<string> {
  const wb = ready();
  await wb.traceFrame().locator('#export').click();
  for (const answer of answers) await wb.pickRow(answer);
  // code-server's save dialog is VS Code's own: a quick input holding the proposed path.
  const input = wb.page.locator('.quick-input-widget input');
  await expect.poll(() => input.inputValue(), { timeout: 30_000 }).toMatch(/\/trace\.(txt|json)$/);
  const proposed = await input.inputValue();
  await input.fill(path);
  // The dialog may still be listing the folder when the path lands: accept until it closes.
  const ok = wb.page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first();
  await expect.poll(async () => {
    if (await input.isVisible()) await ok.click({ timeout: 5_000 }).catch(() => undefined);
    return input.isVisible();
  }, { timeout: 30_000, interval: 1_000 }).toBe(false);
  return proposed;
}

async function waitForFile(path: string): Promise<string> {
  await expect.poll(() => existsSync(path), { timeout: 30_000 }).toBe(true);
  return readFileSync(path, 'utf8');
}

describe('the Trace panel in code-server', () => {
  it('comes forward when a session starts, events in view under a folded header', async () => {
    const wb = ready();
    await wb.openFile('kvm_para.h');
    await wb.startDebugging(); // the whole run: no breakpoints
    // Nobody ran "Show Trace Panel": the session's first trace event brought it forward.
    await wb.traceFrame().locator('#counts', { hasText: / shown · / }).waitFor({ timeout: 120_000 });
    await wb.continueToEnd();
    await expect.poll(() => wb.traceFrame().locator('#counts').textContent(), { timeout: 60_000 }).toMatch(/^([1-9]\d+) shown · \1 in buffer · \1 written$/);
    await wb.screenshot('panel-came-forward');
    // The panel follows the tail while the session runs: scroll back to the top.
    await wb.traceFrame().locator('#viewport').evaluate((el) => { el.scrollTop = 0; });
    const rows = wb.traceRows();
    await expect.poll(() => rows.nth(3).textContent(), { timeout: 30_000 }).toMatch(/^\s+hc-host-1\s+\[000\] /);
    expect(await rows.nth(0).textContent()).toBe('# tracer: nop');
    expect(await rows.nth(2).textContent()).toMatch(/^# entries-in-buffer\/entries-written: \d+\/\d+ {3}#P:1$/);
    // The column legend comes back on a click, and folds again.
    await rows.nth(0).click();
    await expect.poll(() => rows.nth(10).textContent()).toBe('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION');
    await wb.screenshot('header-unfolded');
    await rows.nth(0).click();
    await expect.poll(() => rows.nth(3).textContent()).toMatch(/hc-host-1/);
    // A filter with one match shows it in the panel's default height, under the folded header.
    await wb.traceFrame().locator('#text-filter input').fill('reason HLT');
    const match = rows.filter({ hasText: 'kvm_exit: vcpu 0 reason HLT' });
    await expect.poll(() => match.count(), { timeout: 30_000 }).toBe(1);
    expect(await match.isVisible()).toBe(true);
    const box = await match.boundingBox();
    const viewport = await wb.traceFrame().locator('#viewport').boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(viewport!.y + viewport!.height);
    await wb.screenshot('one-match-in-view');
    await wb.traceFrame().locator('#text-filter input').fill('');
  }, 400_000);

  it('opens the trace_kvm_hypercall call from a kvm_hypercall line after the session ended', async () => {
    const wb = ready();
    const x86 = readFileSync(join(workbench().folder, 'host', 'x86.c'), 'utf8').split('\n');
    const callLine = x86.findIndex((l) => /^\s*trace_kvm_hypercall\(/.test(l)) + 1;
    expect(callLine).toBeGreaterThan(0);
    await wb.traceFrame().locator('#text-filter input').fill('kvm_hypercall: nr 0x100');
    const line = wb.traceRows().filter({ hasText: 'kvm_hypercall: nr 0x100' }).first();
    const selection = wb.page.locator('#status\\.editor\\.selection');
    await expect.poll(async () => {
      await line.click({ timeout: 10_000 });
      return `${await wb.activeEditorTab().textContent()} ${await selection.textContent().catch(() => '')}`;
    }, { timeout: 60_000, interval: 2_000 }).toMatch(new RegExp(`x86\\.c[\\s\\S]*Ln ${callLine}, Col 1`));
    await wb.screenshot('kvm_hypercall-line-opened-after-session');
  }, 200_000);

  it('exports the filtered rows as a Chrome JSON trace and everything as ftrace text, where the user says', async () => {
    const wb = ready();
    const home = dirname(workbench().folder);
    const out = join(home, 'exports');
    mkdirSync(out);
    await wb.showTracePanel();
    await wb.traceFrame().locator('#text-filter input').fill('kvm_hypercall: nr 0x100');
    await expect.poll(() => wb.traceFrame().locator('#counts').textContent(), { timeout: 30_000 }).toMatch(/^([1-9]\d*) shown · /);
    const shownCount = Number((await wb.traceFrame().locator('#counts').textContent())!.split(' ')[0]);

    // Chrome JSON, what is shown; the name typed without its extension gets ".json".
    const firstProposal = await exportFromPanel(['Chrome JSON trace', 'What is shown'], join(out, 'shown'));
    expect(firstProposal.startsWith(workbench().folder + '/')).toBe(false); // not into the sources
    const chrome = await waitForFile(join(out, 'shown.json'));
    expect(chromeTraceProblems(chrome)).toEqual([]);
    const events = JSON.parse(chrome).traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
    expect(events).toHaveLength(shownCount);
    for (const e of events) expect(e).toMatchObject({ name: 'kvm_hypercall', ph: 'i', args: { nr: '0x100' } });
    await wb.screenshot('exported-chrome-shown');

    // ftrace text, everything (the filter stays on); the dialog proposes the last folder.
    const secondProposal = await exportFromPanel(['ftrace text', 'Everything'], join(out, 'all.txt'));
    expect(secondProposal).toBe(join(out, 'trace.txt'));
    const text = await waitForFile(join(out, 'all.txt'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('# tracer: nop');
    const written = Number(/entries-written: \d+\/(\d+)/.exec(lines[2])![1]);
    expect(lines.filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(written);
    expect(text).toMatch(/kvm_pv_hello_hypercall: Hello World\n/);
    expect(text).toMatch(/kvm_exit: vcpu 0 reason IO_INSTRUCTION /);
    await wb.screenshot('exported-ftrace-all');
  }, 300_000);
});
