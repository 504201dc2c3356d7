// The image-role note of docs/platform.md through hcdbg: the sample host given as the guest,
// or the sample guest as the host, is refused with one sentence and exit status 2 before
// anything runs; a user-written image carrying the note as the docs spell it is recognised;
// an image without the note is taken as given.

import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample, guestElf, hostElf, root } from '../sample/sampleRun';
import { assembleAndLink, tempDir } from './fixtures/compile';
import { bundleHcdbg, runHcdbg } from './fixtures/hcdbg';
import { printerAsm } from './fixtures/programs';

// Laid out like the package, so the CLI's default host is the sample host, as for a user.
const dir = tempDir();
const cli = join(dir, 'dist', 'hcdbg.js');

beforeAll(async () => {
  buildSample();
  mkdirSync(join(dir, 'dist'));
  symlinkSync(join(root, 'samples'), join(dir, 'samples'));
  await bundleHcdbg(cli);
});

const hcdbg = (...args: string[]) => runHcdbg(cli, args);

const program = (roleNote?: number) => printerAsm('a guest', 'hlt', roleNote);

describe('host and guest images are told apart', () => {
  it('refuses the sample host given as the guest (with the default host), before anything runs', () => {
    const r = hcdbg('run', '--guest', hostElf);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('hcdbg: host.elf is a host hypervisor image (its Hypercall ELF note says so), not a guest; give it as the host.\n');
  });

  it('refuses the sample guest given as the host', () => {
    const r = hcdbg('run', '--guest', guestElf, '--host', guestElf);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('hcdbg: guest.elf is a guest image (its Hypercall ELF note says so), not a host hypervisor; give it as the guest.\n');
  });

  it('recognises a user-written image carrying the note as the docs spell it', () => {
    const marked = assembleAndLink(dir, 'marked-host.elf', program(1), ['-Ttext=0x100000']);
    const r = hcdbg('run', '--guest', marked, '--host', hostElf);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hcdbg: marked-host\.elf is a host hypervisor image /);
    const guest = assembleAndLink(dir, 'marked-guest.elf', program(2), ['-Ttext=0x100000']);
    const ok = hcdbg('run', '--guest', guest, '--host', hostElf);
    expect(ok.stdout).toBe('a guest\n');
    expect(ok.status).toBe(0);
  });

  it('takes an image without the note as given', () => {
    const plain = assembleAndLink(dir, 'plain.elf', program(), ['-Ttext=0x100000']);
    const r = hcdbg('run', '--guest', plain, '--host', hostElf);
    expect(r.stdout).toBe('a guest\n');
    expect(r.status).toBe(0);
  });
});
