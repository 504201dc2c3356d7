// Builds for the real-KVM path, cached by a hash of their inputs in the lab's cache folder:
// hcvmm (static, so it runs in the lab's busybox initramfs and on any Linux host) and the
// hcdbg_hc kernel module from the sample's handler files (host/hypercalls/<name>.c).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execAsync } from './exec';
import { realkvmDir, RealKvmError, sampleDir } from './paths';

function hashOf(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

export function buildVmm(cache: string): string {
  const src = join(realkvmDir(), 'vmm', 'hcvmm.c');
  const out = join(cache, `hcvmm-${hashOf([readFileSync(src, 'utf8')])}`);
  if (existsSync(out)) return out;
  mkdirSync(cache, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', tmp, src], { encoding: 'utf8' });
  if (r.status !== 0) {
    const first = (r.stderr || String(r.error ?? '')).split('\n').find((l) => l.trim()) ?? 'no compiler output';
    throw new RealKvmError(`Building hcvmm failed (gcc -static needs libc6-dev): ${first.trim()}`);
  }
  renameSync(tmp, out);
  return out;
}

/** The custom hypercalls: host/hypercalls/<name>.c handles KVM_HC_<NAME> with kvm_pv_<name>(). */
export function customHypercalls(sample = sampleDir()): { file: string; macro: string; handler: string }[] {
  const dir = join(sample, 'host', 'hypercalls');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^[a-z][a-z0-9_]*\.c$/.test(f)).sort().map((file) => {
    const name = file.slice(0, -2);
    return { file: join(dir, file), macro: `KVM_HC_${name.toUpperCase()}`, handler: `kvm_pv_${name}` };
  });
}

/**
 * The kernel's hook point for kvm_emulate_hypercall, by version: hc_hook.c fits 6.1 only
 * (6.12 moved the work into __kvm_emulate_hypercall, newer kernels limit KVM's exports).
 */
export function checkKernelHook(version: string): void {
  if (!/^6\.1\.\d/.test(version) && !/^6\.1$/.test(version)) {
    throw new RealKvmError(`Linux ${version} has no hook this module knows for kvm_emulate_hypercall (it supports 6.1), so custom hypercalls cannot be added there.`);
  }
}

export interface ModuleHeaders {
  /** The kernel release the headers are for, e.g. 6.1.0-57-amd64 (uname -r). */
  release: string;
  /** `make -C <dir>`: the kernel build folder (linux-headers-<release>). */
  buildDir: string;
  /** Debian's build folder includes its -common sibling by an absolute path; given here, make reads it directly. */
  topMakefile?: string;
  /** The kernel version proper (6.1.192), from include/generated/utsrelease.h or the release. */
  kernelVersion: string;
}

export function kernelVersionOf(buildDir: string, release: string): string {
  const uts = join(buildDir, 'include', 'generated', 'utsrelease.h');
  const ver = join(buildDir, 'include', 'generated', 'uapi', 'linux', 'version.h');
  if (existsSync(ver)) {
    const t = readFileSync(ver, 'utf8');
    const m = /LINUX_VERSION_MAJOR (\d+)[\s\S]*LINUX_VERSION_PATCHLEVEL (\d+)[\s\S]*LINUX_VERSION_SUBLEVEL (\d+)/.exec(t);
    if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  }
  if (existsSync(uts)) return /"([^"]+)"/.exec(readFileSync(uts, 'utf8'))?.[1] ?? release;
  return release;
}

/** Build hcdbg_hc.ko against `headers`; returns its path. Throws one sentence on a build failure. */
export async function buildModule(cache: string, headers: ModuleHeaders, sample = sampleDir()): Promise<string> {
  checkKernelHook(headers.kernelVersion);
  const calls = customHypercalls(sample);
  if (calls.length === 0) throw new RealKvmError(`${join(sample, 'host', 'hypercalls')} has no handler file, so there is no custom hypercall to load.`);
  const hook = join(realkvmDir(), 'module', 'hc_hook.c');
  const inputs = [hook, join(sample, 'include', 'kvm_para.h'), join(sample, 'host', 'hypercalls', 'hypercall.h'), ...calls.map((c) => c.file)];
  const key = hashOf([headers.release, ...inputs.map((f) => `${f}\n${readFileSync(f, 'utf8')}`)]);
  const dir = join(cache, `module-${key}`);
  const ko = join(dir, 'hcdbg_hc.ko');
  if (existsSync(ko)) return ko;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Kbuild splits M= at spaces ("building multiple external modules"): build where the path has none.
  const src = /\s/.test(dir) ? mkdtempSync(join(/\s/.test(tmpdir()) ? '/tmp' : tmpdir(), 'hcdbg-kbuild-')) : dir;
  for (const f of inputs) copyFileSync(f, join(src, f.split('/').pop()!));
  writeFileSync(join(src, 'hc_hypercalls.h'), calls.map((c) => `HC_CUSTOM(${c.macro}, ${c.handler})\n`).join(''));
  writeFileSync(join(src, 'Kbuild'), [
    'obj-m := hcdbg_hc.o',
    `hcdbg_hc-y := hc_hook.o ${calls.map((c) => `${c.handler.slice('kvm_pv_'.length)}.o`).join(' ')}`,
    'ccflags-y := -I$(src)',
    '',
  ].join('\n'));
  const args = ['-s', '-C', headers.buildDir, ...(headers.topMakefile ? ['-f', headers.topMakefile] : []), `M=${src}`, 'modules'];
  const r = await execAsync('make', args, 600_000);
  if (src !== dir) {
    if (existsSync(join(src, 'hcdbg_hc.ko'))) copyFileSync(join(src, 'hcdbg_hc.ko'), ko);
    rmSync(src, { recursive: true, force: true });
  }
  if (r.status !== 0 || !existsSync(ko)) {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n');
    const err = lines.find((l) => /\berror\b/.test(l)) ?? lines.find((l) => l.trim()) ?? String(r.error ?? 'no output');
    rmSync(ko, { force: true });
    throw new RealKvmError(`Building the hypercall module against Linux ${headers.release} failed: ${err.trim()}`);
  }
  return ko;
}
