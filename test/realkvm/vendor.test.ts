// VMCALL or VMMCALL: our model is an Intel CPU, where AMD's VMMCALL (0f 01 d9) is #UD (SDM
// vol. 2B: VMCALL is Intel's hypercall instruction; 0f 01 d9 is not defined), so the sample
// guest keeps VMCALL on it. The same image with every hypercall site turned into VMMCALL,
// as the guest's own alternative.c does on AMD, must fault on the model at the first site.

import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '../../emulator/loader/elf';
import { runOnModel } from '../../realkvm/modelRun';
import { buildSample, guestElf, hostElf } from '../sample/sampleRun';

beforeAll(() => buildSample());

/** The file offsets of the hypercall sites listed in .kvm_hypercall_sites. */
function siteOffsets(bytes: Uint8Array): { rip: bigint; offset: number }[] {
  const elf = parseElf(bytes, 'guest.elf');
  const list = elf.section('.kvm_hypercall_sites')!;
  const data = elf.sectionData(list);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.length / 8 }, (_, i) => {
    const rip = view.getBigUint64(i * 8, true);
    const seg = elf.loadSegments.find((s) => rip >= s.vaddr && rip < s.vaddr + BigInt(s.filesz))!;
    return { rip, offset: seg.offset + Number(rip - seg.vaddr) };
  });
}

describe('hypercall instruction by vendor', () => {
  it('lists every hypercall site of the sample guest, each a VMCALL in the image', () => {
    const bytes = new Uint8Array(readFileSync(guestElf));
    const sites = siteOffsets(bytes);
    expect(sites.length).toBeGreaterThanOrEqual(3);
    for (const s of sites) expect([...bytes.subarray(s.offset, s.offset + 3)]).toEqual([0x0f, 0x01, 0xc1]);
  });

  it('raises #UD on the model for VMMCALL, at the first site the guest reaches', () => {
    const bytes = new Uint8Array(readFileSync(guestElf));
    for (const s of siteOffsets(bytes)) bytes[s.offset + 2] = 0xd9;
    const patched = join(tmpdir(), `vmmcall-guest-${process.pid}.elf`);
    writeFileSync(patched, bytes);
    const run = runOnModel(hostElf, patched);
    const m = /guest: exception #UD \(vector 6\) at rip (0x[0-9a-f]+)/.exec(run.console);
    expect(m).not.toBeNull();
    expect(siteOffsets(bytes).map((s) => s.rip)).toContain(BigInt(m![1]));
    expect(run.answers).toEqual([]); // no hypercall reached the host
  });
});
