// A copy of the sample with a hypercall added as "Create a New Custom Hypercall" adds it
// (planNewHypercall's files written to disk), built once before and once after the addition
// as a user's copy is. Shared by the scaffold's test and the real-KVM one.

import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planNewHypercall, type NewHypercall } from '../../extension/hypercall/customHypercall';
import { runTool } from '../tools';
import { sampleDir } from './sampleRun';

export interface SampleCopy {
  dir: string;
  plan: NewHypercall;
}

export function sampleWithNewHypercall(name: string): SampleCopy {
  const dir = mkdtempSync(join(tmpdir(), 'hcdbg-newhc-'));
  cpSync(sampleDir, dir, { recursive: true, filter: (src) => !src.includes('/build') });
  runTool('make', ['-s', '-C', dir, 'build/host.elf', 'build/guest.elf'], { stdio: 'pipe' });
  const guestPath = join(dir, 'guest/syscalls.c');
  const plan = planNewHypercall(name, {
    kvmParaH: readFileSync(join(dir, 'include/kvm_para.h'), 'utf8'),
    handlerFiles: readdirSync(join(dir, 'host/hypercalls')),
    guest: { path: guestPath, text: readFileSync(guestPath, 'utf8') },
  });
  writeFileSync(join(dir, 'include/kvm_para.h'), plan.kvmParaH);
  writeFileSync(join(dir, 'host/hypercalls', plan.handler.fileName), plan.handler.text);
  writeFileSync(guestPath, plan.guest!.text);
  runTool('make', ['-s', '-C', dir, 'build/host.elf', 'build/guest.elf'], { stdio: 'pipe' });
  return { dir, plan };
}
