// `npm run bench`: million instructions per second on a compute-bound guest, hypercall round
// trips per second (guest vmcall -> sample host exit handler -> VMRESUME -> guest), and the
// same compute code under qemu-x86_64 (Debian qemu-user) for a ratio. Prints a table, or one
// JSON object { mips, hypercallsPerSecond, qemuMips, pauseLatencyMs, history } with --json. A benchmark,
// not a test.
// Times are CPU seconds (user + system) of the emulator or of qemu, so other load on the
// machine does not distort them.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Machine } from '../../emulator/machine';
import type { StopReason } from '../../emulator/api';
import { measureHistory, type HistoryFigures } from './historyBench';
import { measurePauseLatency } from './pauseLatency';

const root = resolve(__dirname, '..');            // dist/.. when bundled
const hostPath = join(root, 'samples/hello-hypercall/build/host.elf');
const work = mkdtempSync(join(tmpdir(), 'hc-bench-'));

const COMPUTE = `
typedef unsigned long u64;
__attribute__((noinline)) u64 compute(u64 n) {
  u64 a = 0x9e3779b97f4a7c15UL, b = 0;
  for (u64 i = 0; i < n; i++) {
    a ^= a << 13; a ^= a >> 7; a ^= a << 17;
    b += (a & 0xff) * 3;
    if (a & 1) b ^= i; else b -= i >> 3;
  }
  return b;
}
`;

const GUEST_COMPUTE = (n: number) => COMPUTE + `
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) { result = compute(${n}UL); for (;;) __asm__ volatile("hlt"); }
`;

const GUEST_HYPERCALLS = (n: number) => `
typedef unsigned long u64;
__attribute__((section(".text.start"))) void _start(void) {
  for (u64 i = 0; i < ${n}UL; i++) { u64 ret; __asm__ volatile("vmcall" : "=a"(ret) : "a"(11UL), "b"(0UL), "c"(0UL), "d"(0UL), "S"(0UL) : "memory"); }
  for (;;) __asm__ volatile("hlt");
}
`;

/** Compute with a hypercall every `every` loop iterations, for ever: the history benchmark's guest. */
const GUEST_COMPUTE_WITH_HYPERCALLS = (every: number) => COMPUTE + `
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) {
  for (;;) { u64 ret; result += compute(${every}UL); __asm__ volatile("vmcall" : "=a"(ret) : "a"(11UL), "b"(0UL), "c"(0UL), "d"(0UL), "S"(0UL) : "memory"); }
}
`;

const LINUX_COMPUTE = (n: number) => COMPUTE + `
volatile u64 result;
void _start(void) {
  result = compute(${n}UL);
  __asm__ volatile("mov $60, %%eax; xor %%edi, %%edi; syscall" ::: "rax", "rdi", "memory");
  for (;;) {}
}
`;

const CFLAGS = ['-O2', '-Wl,--no-warn-rwx-segments', '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-pic', '-mno-red-zone', '-mgeneral-regs-only', '-fno-asynchronous-unwind-tables', '-Wl,--build-id=none'];
const LINKER_SCRIPT = `ENTRY(_start)
SECTIONS { . = 0x100000; .text : { *(.text.start) *(.text .text.*) } .rodata : { *(.rodata .rodata.*) } .data : { *(.data .data.*) } .bss : { *(.bss .bss.*) *(COMMON) } /DISCARD/ : { *(.note*) *(.comment) } }
`;

function gcc(name: string, source: string, guest: boolean): string {
  const src = join(work, `${name}.c`), out = join(work, name);
  writeFileSync(src, source);
  const args = guest ? [...CFLAGS, '-T', writeLd(), '-Wl,-z,max-page-size=0x1000'] : CFLAGS;
  execFileSync('gcc', [...args, '-o', out, src], { stdio: 'inherit' });
  return out;
}

function writeLd(): string {
  const p = join(work, 'guest.ld');
  if (!existsSync(p)) writeFileSync(p, LINKER_SCRIPT);
  return p;
}

interface Timed { icount: number; seconds: number; stop: StopReason }

function runGuest(guestPath: string): Timed {
  const m = Machine.boot({ hostElf: new Uint8Array(readFileSync(hostPath)), guestElf: new Uint8Array(readFileSync(guestPath)), hostPath, guestPath });
  const t0 = process.cpuUsage();
  let stop: StopReason = { kind: 'budget' };
  for (let n = 0; n < 200 && stop.kind === 'budget'; n++) stop = m.run(50_000_000);
  const used = process.cpuUsage(t0);
  const seconds = (used.user + used.system) / 1e6;
  if (stop.kind !== 'poweroff' || stop.status !== 0) throw new Error(`The benchmark guest ${guestPath} ended with ${JSON.stringify(stop)} instead of a clean power-off.`);
  return { icount: m.cpu.icount, seconds, stop };
}

/** qemu-x86_64 from Debian's qemu-user, installed on demand when apt-get can; undefined if unavailable. */
function findQemu(): string | undefined {
  const which = () => spawnSync('sh', ['-c', 'command -v qemu-x86_64 || command -v qemu-x86_64-static'], { encoding: 'utf8' }).stdout.trim() || undefined;
  let q = which();
  if (!q && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    spawnSync('apt-get', ['install', '-y', '-qq', 'qemu-user'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    q = which();
  }
  return q;
}

/** CPU seconds (user + system) qemu spends on `binary`, read from the shell's `times` for its children. */
function timeQemu(qemu: string, binary: string): number {
  const r = spawnSync('bash', ['-c', '"$0" "$1" >/dev/null && times', qemu, binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-x86_64 ${binary} exited with status ${r.status}.`);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return secs.reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  if (!existsSync(hostPath)) throw new Error(`The sample host ${hostPath} is missing; run npm run build first.`);
  const log = (s: string) => { if (!json) process.stderr.write(s + '\n'); };

  // Compute: instructions per loop iteration from two sizes, MIPS from the larger run.
  const small = 200_000, large = 2_000_000;
  log('compute guest ...');
  const a = runGuest(gcc('compute-small', GUEST_COMPUTE(small), true));
  const b = runGuest(gcc('compute-large', GUEST_COMPUTE(large), true));
  const perIteration = (b.icount - a.icount) / (large - small);
  const mips = b.icount / b.seconds / 1e6;

  // Hypercalls: the difference between K round trips and none.
  const K = 5_000;
  log('hypercall guest ...');
  const h0 = runGuest(gcc('hypercalls-0', GUEST_HYPERCALLS(0), true));
  const hk = runGuest(gcc('hypercalls-k', GUEST_HYPERCALLS(K), true));
  const hypercallsPerSecond = K / Math.max(hk.seconds - h0.seconds, 1e-9);
  const instructionsPerHypercall = (hk.icount - h0.icount) / K;

  // qemu-user on the same compute function, long enough to dwarf its start-up.
  log('qemu-x86_64 ...');
  const qemu = findQemu();
  let qemuMips: number | null = null;
  if (qemu) {
    const qn = 300_000_000;
    const seconds = timeQemu(qemu, gcc('compute-linux', LINUX_COMPUTE(qn), false)) - timeQemu(qemu, gcc('compute-linux-0', LINUX_COMPUTE(0), false));
    qemuMips = (perIteration * qn) / seconds / 1e6;
  }

  // The debug adapter's answer to pause while the compute guest spins.
  log('pause latency ...');
  const pause = await measurePauseLatency(hostPath, gcc('compute-spin', GUEST_COMPUTE(1_000_000_000), true));

  // Time travel (emulator/history/), its own section.
  log('history ...');
  const travelGuest = gcc('compute-hypercalls', GUEST_COMPUTE_WITH_HYPERCALLS(20_000), true);
  const travel = [1e6, 1e8].map((depth) => measureHistory(hostPath, travelGuest, depth));

  const result = { mips, hypercallsPerSecond, qemuMips, pauseLatencyMs: pause.medianMs, history: travel };
  if (json) { process.stdout.write(JSON.stringify(result) + '\n'); return; }
  const rows: [string, string][] = [
    ['machine', `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}`],
    ['compute guest', `${b.icount.toLocaleString('en-US')} instructions in ${b.seconds.toFixed(2)} s (${perIteration.toFixed(1)} per loop iteration)`],
    ['MIPS', mips.toFixed(1)],
    ['hypercall round trips/s', `${Math.round(hypercallsPerSecond).toLocaleString('en-US')} (${instructionsPerHypercall.toFixed(0)} instructions each)`],
    ['qemu-x86_64 MIPS', qemuMips === null ? 'n/a (qemu-user not installed)' : qemuMips.toFixed(1)],
    ['ratio qemu / ours', qemuMips === null ? 'n/a' : `${(qemuMips / mips).toFixed(1)}x`],
    ['pause latency (DAP)', `median ${pause.medianMs.toFixed(0)} ms, max ${pause.maxMs.toFixed(0)} ms over ${pause.samples} pauses`],
    ...historyRows(travel),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
}

function historyRows(figures: HistoryFigures[]): [string, string][] {
  const at = (depth: number) => `at 10^${Math.round(Math.log10(depth))}`;
  return figures.flatMap((f): [string, string][] => [
    [`reverse step ${at(f.depth)}`, `${f.reverseStepMs.toFixed(1)} ms (median of 5)`],
    [`reverse to VMCALL ${at(f.depth)}`, `${f.reverseToVmcallMs.toFixed(1)} ms`],
    [`snapshots ${at(f.depth)}`, `${(f.snapshotBytesPerMillion / 1024).toFixed(0)} KiB per 10^6 steps (${f.snapshots} snapshots)`],
    [`forward MIPS ${at(f.depth)}`, `${f.forwardMips.toFixed(1)} recording history, ${f.forwardMipsWithoutHistory.toFixed(1)} without`],
  ]);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
