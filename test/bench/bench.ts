// `npm run bench`: million instructions per second on a compute-bound guest, hypercall round
// trips per second (guest vmcall -> sample host exit handler -> VMRESUME -> guest), 5,000 per
// machine and deep in a long loop, the same compute code under qemu-x86_64 (Debian qemu-user)
// for a ratio, the fast engine against the interpreter alone on four guests (warm-up and
// steady state; it fails if their instruction counts differ), the cost of a VM exit + entry
// with a minimal host, the memory a debug session keeps per round trip, the debug adapter's
// pause, launch and step latency, and the wall time
// of one `hcdbg compare` of the sample on real KVM (the lab), cold and warm, beside `hcdbg run`
// of the same guest (--skip-real-kvm leaves it out). Prints a table, or one JSON object { mips,
// hypercallsPerSecond, longLoopHypercallsPerSecond, qemuMips, pauseLatencyMs, launchMs,
// nextStackTraceMs, interpreterMips, transitionInstructionEquivalents, minimalRoundTripUs, minimalRoundTripSteadyUs, keptBytesPerRoundTrip,
// compareColdS, compareWarmS, runS, history } with --json; the time-travel figures (reverse step, reverse
// continue, snapshot memory) at two depths.
// A benchmark, not a test.
// Times are CPU seconds (user + system) of the emulator or of qemu, so other load on the
// machine does not distort them; the real-KVM figures are wall seconds (qemu, downloads).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Machine } from '../../emulator/machine';
import type { StopReason } from '../../emulator/api';
import { keptBytesPerRoundTrip } from '../trace/keptPerRoundTrip';
import { measureHistory, type HistoryFigures } from './historyBench';
import { measureLaunchLatency } from './launchLatency';
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

/**
 * Compute with a hypercall every `every` loop iterations, for ever: the history benchmark's
 * guest. The count depends on `result` so gcc cannot hoist the call out of the loop (it did,
 * leaving a loop of hypercalls alone).
 */
const GUEST_COMPUTE_WITH_HYPERCALLS = (every: number) => COMPUTE + `
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) {
  for (;;) { u64 ret; result += compute(${every}UL + (result & 1)); __asm__ volatile("vmcall" : "=a"(ret) : "a"(11UL), "b"(0UL), "c"(0UL), "d"(0UL), "S"(0UL) : "memory"); }
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

function gcc(name: string, source: string, guest: boolean, extra: string[] = []): string {
  const src = join(work, `${name}.c`), out = join(work, name);
  writeFileSync(src, source);
  const args = [...(guest ? [...CFLAGS, '-T', writeLd(), '-Wl,-z,max-page-size=0x1000'] : CFLAGS), ...extra];
  execFileSync('gcc', [...args, '-o', out, src], { stdio: 'inherit' });
  return out;
}

function writeLd(): string {
  const p = join(work, 'guest.ld');
  if (!existsSync(p)) writeFileSync(p, LINKER_SCRIPT);
  return p;
}

interface Timed { icount: number; seconds: number; stop: StopReason }

function bootGuest(guestPath: string): Machine {
  return Machine.boot({ hostElf: new Uint8Array(readFileSync(hostPath)), guestElf: new Uint8Array(readFileSync(guestPath)), hostPath, guestPath });
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function runGuest(guestPath: string, blocks = true): Timed {
  const m = bootGuest(guestPath);
  m.interpreter.blocks = blocks;
  const t0 = process.cpuUsage();
  let stop: StopReason = { kind: 'budget' };
  for (let n = 0; n < 200 && stop.kind === 'budget'; n++) stop = m.run(50_000_000);
  const seconds = cpuSeconds(t0);
  if (stop.kind !== 'poweroff' || stop.status !== 0) throw new Error(`The benchmark guest ${guestPath} ended with ${JSON.stringify(stop)} instead of a clean power-off.`);
  return { icount: m.cpu.icount, seconds, stop };
}

// ---- the fast engine (issue 8): four guests, fast engine vs interpreter alone, VM transitions

/**
 * A guest that does real work makes many more hypercalls than the 5,000 timed above, which end
 * before the sample host's blocks have run often enough to be compiled: round trips/s of one
 * machine between its 40,000th and 60,000th trip.
 */
function measureLongHypercallLoop(instructionsPerTrip: number): { perSecond: number; from: number; to: number } {
  const from = 40_000, to = 60_000;
  const m = bootGuest(gcc('hypercalls-long', GUEST_HYPERCALLS(2 * to), true));
  const runTrips = (trips: number) => {
    const stop = m.run(Math.round(trips * instructionsPerTrip));
    if (stop.kind !== 'budget') throw new Error(`The long hypercall loop stopped early (${stop.kind}).`);
  };
  runTrips(from);
  const t0 = process.cpuUsage();
  runTrips(to - from);
  return { perSecond: (to - from) / cpuSeconds(t0), from, to };
}

/** A memory-heavy loop as gcc -O0 builds it: every variable on the stack, calls with frames. */
const GUEST_MEMORY = (rounds: number) => `
typedef unsigned long u64;
struct item { u64 key, val; };
static u64 mix(u64 x, u64 y) { u64 t = x * 31 + y; return t ^ (t >> 11); }
static void fill(struct item *a, int n, u64 seed) { for (int i = 0; i < n; i++) { a[i].key = mix(seed, i); a[i].val = i; } }
static u64 sum(struct item *a, int n) { u64 s = 0; for (int i = 0; i < n; i++) s = mix(s, a[i].key + a[i].val); return s; }
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) {
  struct item a[64]; u64 s = 0;
  for (u64 r = 0; r < ${rounds}UL; r++) { fill(a, 64, r); s += sum(a, 64); }
  result = s; for (;;) __asm__ volatile("hlt");
}
`;

/** Branches and calls (gcc -O2): Collatz step counts with a recursive Fibonacci now and then. */
const GUEST_BRANCHY = (n: number) => `
typedef unsigned long u64;
__attribute__((noinline)) static u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__attribute__((noinline)) static u64 collatz(u64 n) { u64 k = 0; while (n != 1) { n = (n & 1) ? 3 * n + 1 : n / 2; k++; } return k; }
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) {
  u64 s = 0;
  for (u64 i = 1; i < ${n}UL; i++) { s += collatz(i); if ((i & 63) == 0) s += fib(10 + (i & 3)); }
  result = s; for (;;) __asm__ volatile("hlt");
}
`;

/**
 * Everyday -O2 work (gcc): an insertion sort through a comparator pointer, a multiply-and-rotate
 * generator, FNV hashing, division and remainder, a byte copy: the IMUL, CL shifts and rotates,
 * DIV and indirect calls that the other three guests do not have.
 */
const GUEST_MIXED = (rounds: number) => `
typedef unsigned long u64; typedef unsigned int u32; typedef unsigned char u8;
static u32 fnv(const u8 *p, int n) { u32 h = 2166136261u; for (int i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; } return h; }
static int cmp(const void *a, const void *b) { u64 x = *(const u64 *)a, y = *(const u64 *)b; return x < y ? -1 : x > y; }
__attribute__((noinline)) static void isort(u64 *a, int n, int (*c)(const void *, const void *)) {
  for (int i = 1; i < n; i++) { u64 v = a[i]; int j = i - 1; while (j >= 0 && c(&a[j], &v) > 0) { a[j + 1] = a[j]; j--; } a[j + 1] = v; }
}
static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }
__attribute__((noinline)) static void copy(u8 *d, const u8 *s, int n) { for (int i = 0; i < n; i++) d[i] = s[i]; }
__attribute__((noinline)) static u64 divs(u64 x) { u64 s = 0; for (u64 d = 3; d < 40; d += 2) s += x % d + x / d; return s; }
volatile u64 result;
__attribute__((section(".text.start"))) void _start(void) {
  u64 a[48]; u8 buf[256], out[256]; u64 s = 0x12345;
  for (u64 r = 0; r < ${rounds}UL; r++) {
    for (int i = 0; i < 48; i++) { s = rotl(s * 6364136223846793005UL + 1442695040888963407UL, (int)(r & 31) + 1); a[i] = s; }
    isort(a, 48, cmp);
    for (int i = 0; i < 256; i++) buf[i] = (u8)(a[i % 48] >> (i & 7));
    copy(out, buf, 256);
    s += fnv(out, 256) + divs(a[r % 48]) + (u64)__builtin_ctzl(s | 1);
  }
  result = s; for (;;) __asm__ volatile("hlt");
}
`;

/** The guest of the transition bench: VMCALL in a three-instruction loop (ECX counts), nothing else. */
const GUEST_VMCALL_LOOP = `
__attribute__((section(".text.start"), naked)) void _start(void) {
  __asm__ volatile("mov $1000000000, %ecx\\n1: vmcall\\n dec %ecx\\n jnz 1b\\n2: hlt\\n jmp 2b");
}
`;

interface EngineRun { icount: number; warmupSeconds: number; steadyMips: number; mips: number }

const WARMUP = 10_000_000, SLICE = 4_000_000;

/**
 * One guest to power-off: CPU time to the first 10^7 instructions, MIPS after them (the fastest
 * slice of 4 * 10^6 instructions) and overall. Process CPU time counts V8's helper threads too
 * (concurrent marking, background compiles): work left by earlier measurements filled one
 * ~50 ms window, or most of the slices, and put the compute guest's steady MIPS anywhere from
 * ~480 to ~960 in one build. Without it the slices agree within ~3 %.
 */
function runEngine(guestPath: string, blocks: boolean): EngineRun {
  const m = bootGuest(guestPath);
  m.interpreter.blocks = blocks;
  const t0 = process.cpuUsage();
  let stop: StopReason = m.run(WARMUP);
  const warmupSeconds = cpuSeconds(t0);
  let steady = 0, fastest = 0;
  for (let n = 0; n < 2_500 && stop.kind === 'budget'; n++) { // 10^10 instructions at most, as before
    const t1 = process.cpuUsage();
    stop = m.run(SLICE);
    const seconds = cpuSeconds(t1);
    steady += seconds;
    // A slice the guest's power-off cut short counts in the whole-run figure only.
    if (stop.kind === 'budget') fastest = Math.max(fastest, SLICE / seconds / 1e6);
  }
  if (stop.kind !== 'poweroff' || stop.status !== 0) throw new Error(`The benchmark guest ${guestPath} ended with ${JSON.stringify(stop)} instead of a clean power-off.`);
  return { icount: m.cpu.icount, warmupSeconds, steadyMips: fastest, mips: m.cpu.icount / (warmupSeconds + steady) / 1e6 };
}

interface EngineGuest { name: string; fast: EngineRun; interpreter: EngineRun }

/** The four guests with the fast engine and with the interpreter alone; the instruction counts must agree exactly. */
function measureEngine(computePath: string, log: (s: string) => void): EngineGuest[] {
  const guests: [string, string][] = [
    ['compute (xorshift loop, -O2)', computePath],
    ['memory (-O0 loop, stack, calls)', gcc('memory', GUEST_MEMORY(12_000), true, ['-O0'])],
    ['branchy (Collatz + fib, -O2)', gcc('branchy', GUEST_BRANCHY(60_000), true)],
    ['mixed (sort via a pointer, hash, divide, rotate, -O2)', gcc('mixed', GUEST_MIXED(6_000), true)],
  ];
  return guests.map(([name, path]) => {
    log(`engine: ${name} ...`);
    const fast = runEngine(path, true), interpreter = runEngine(path, false);
    if (fast.icount !== interpreter.icount) throw new Error(`${name}: the fast engine retired ${fast.icount} instructions, the interpreter ${interpreter.icount}.`);
    return { name, fast, interpreter };
  });
}

/**
 * VM exit + VM entry with a host that does VMRESUME straight away: the sample host sets the
 * guest up, then at its first VM entry HOST_RIP is pointed at five instructions written over
 * the host's exit handler (GUEST_RIP += 3, VMRESUME). A round trip is 8 instructions (vmcall,
 * dec, jnz; mov, vmread, add, vmwrite, vmresume) plus one exit and one entry. Timed over the
 * first 200,000 trips (the handler's block compiled on the way), then in steady state: the
 * median of five slices of 100,000 after 400,000 more. The 200,000 right after the first are
 * still warming up: V8 optimizes the exit and entry paths late (docs/performance.md, tenth session).
 */
function measureTransitions(log: (s: string) => void): { roundTripsPerSecond: number; steadyRoundTripsPerSecond: number; instructionsPerTrip: number } {
  log('VM exit + entry (minimal host) ...');
  const m = bootGuest(gcc('vmcall-loop', GUEST_VMCALL_LOOP, true));
  m.stopOnVmEntry = true;
  const first = m.run(100_000_000);
  m.stopOnVmEntry = false;
  if (first.kind !== 'vmentry') throw new Error(`The sample host did not enter the guest (${first.kind}).`);
  const handler = m.host.symbol('vmx_handle_exit');
  if (!handler) throw new Error('The sample host has no vmx_handle_exit symbol to put the minimal exit handler at.');
  // mov $GUEST_RIP, %edx; vmread %rdx, %rax; add $3, %rax; vmwrite %rax, %rdx; vmresume
  const stub = [0xba, 0x1e, 0x68, 0x00, 0x00, 0x0f, 0x78, 0xd0, 0x48, 0x83, 0xc0, 0x03, 0x0f, 0x79, 0xd0, 0x0f, 0x01, 0xc3];
  m.writeMemory(handler.value, new Uint8Array(stub), 'host-linear');
  m.vmcsWrite(0x6c16 /* HOST_RIP */, handler.value);
  const instructionsPerTrip = 8, trips = 200_000;
  m.run(instructionsPerTrip * 1_000); // settle
  const perSecond = (n: number) => {
    const t0 = process.cpuUsage();
    const stop = m.run(instructionsPerTrip * n);
    const seconds = cpuSeconds(t0);
    if (stop.kind !== 'budget') throw new Error(`The minimal-host transition loop stopped early (${stop.kind}).`);
    return n / seconds;
  };
  const roundTripsPerSecond = perSecond(trips);
  perSecond(2 * trips);
  const slices = Array.from({ length: 5 }, () => perSecond(trips / 2)).sort((x, y) => x - y);
  return { roundTripsPerSecond, steadyRoundTripsPerSecond: slices[2], instructionsPerTrip };
}

/** Time of one round trip beyond its instructions, in instructions at `mips`: (t - n / mips) x mips. */
function instructionEquivalents(tripsPerSecond: number, instructionsPerTrip: number, mips: number): number {
  return (1 / tripsPerSecond - instructionsPerTrip / (mips * 1e6)) * mips * 1e6;
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

/**
 * Wall seconds of `hcdbg compare --lab` on the sample guest with an empty lab cache (the
 * download, module build and first boot included), then again warm, and of `hcdbg run` on
 * the same guest as the peer measured in the same run. Null figures when the lab cannot be had.
 */
function measureCompare(): { coldS: number | null; warmS: number | null; runS: number; note?: string } {
  const hcdbg = join(root, 'dist', 'hcdbg.js'), guest = join(root, 'samples/hello-hypercall/build/guest.elf');
  const env = { ...process.env, HCDBG_LAB_CACHE: mkdtempSync(join(tmpdir(), 'hc-bench-lab-')) };
  const wall = (args: string[]) => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [hcdbg, ...args, '--guest', guest], { encoding: 'utf8', env });
    return { seconds: (Date.now() - t0) / 1000, status: r.status, stderr: r.stderr };
  };
  const run = wall(['run']);
  try {
    const cold = wall(['compare', '--lab']);
    if (cold.status !== 0) return { coldS: null, warmS: null, runS: run.seconds, note: cold.stderr.trim().split('\n').pop() };
    const warm = wall(['compare', '--lab']);
    return { coldS: cold.seconds, warmS: warm.status === 0 ? warm.seconds : null, runS: run.seconds };
  } finally {
    spawnSync('rm', ['-rf', env.HCDBG_LAB_CACHE]);
  }
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

  // Hypercalls: the difference between K round trips and none, with the fast engine and with the
  // interpreter alone. Both run once untimed first: the first engine timed in a fresh process
  // also paid V8's compilation of the host's paths (4,200 against 10,600 round trips/s warm).
  const K = 5_000;
  log('hypercall guest ...');
  const hypercallGuests = [gcc('hypercalls-0', GUEST_HYPERCALLS(0), true), gcc('hypercalls-k', GUEST_HYPERCALLS(K), true)];
  for (const blocks of [true, false]) runGuest(hypercallGuests[1], blocks);
  const roundTrips = (blocks: boolean) => {
    const [h0, hk] = hypercallGuests.map((g) => runGuest(g, blocks));
    return { perSecond: K / Math.max(hk.seconds - h0.seconds, 1e-9), instructions: (hk.icount - h0.icount) / K };
  };
  const fastTrips = roundTrips(true), interpreterTrips = roundTrips(false);
  const hypercallsPerSecond = fastTrips.perSecond;
  const instructionsPerHypercall = fastTrips.instructions;
  const longLoop = measureLongHypercallLoop(instructionsPerHypercall);
  // What a debug session keeps per round trip of a long loop: trips 20,000-120,000 of one machine.
  const kept = keptBytesPerRoundTrip(bootGuest(gcc('hypercalls-kept', GUEST_HYPERCALLS(200_000), true)), 20_000, 100_000);

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
  log('launch and step latency ...');
  const launch = await measureLaunchLatency(hostPath, join(root, 'samples/hello-hypercall/build/guest.elf'));

  const engine = measureEngine(join(work, 'compute-large'), log);
  const interpreterMips = engine[0].interpreter.mips;
  const transitionInstructionEquivalents = instructionEquivalents(hypercallsPerSecond, instructionsPerHypercall, mips);
  const interpreterHypercalls = interpreterTrips.perSecond;
  const minimal = measureTransitions(log);
  const minimalEquivalents = instructionEquivalents(minimal.roundTripsPerSecond, minimal.instructionsPerTrip, mips);
  const steadyMips = engine[0].fast.steadyMips;
  const minimalSteadyEquivalents = instructionEquivalents(minimal.steadyRoundTripsPerSecond, minimal.instructionsPerTrip, steadyMips);

  let compare: ReturnType<typeof measureCompare> | undefined;
  if (!process.argv.includes('--skip-real-kvm')) {
    log('hcdbg compare on real KVM (lab), cold then warm ...');
    compare = measureCompare();
  }

  // Time travel (emulator/history/), its own section.
  log('history ...');
  const travelGuest = gcc('compute-hypercalls', GUEST_COMPUTE_WITH_HYPERCALLS(20_000), true);
  const travel = [1e6, 1e8].map((depth) => measureHistory(hostPath, travelGuest, depth));

  const result = { mips, hypercallsPerSecond, longLoopHypercallsPerSecond: longLoop.perSecond, qemuMips, pauseLatencyMs: pause.medianMs,
    launchMs: launch.launchMs, nextStackTraceMs: launch.nextStackTraceMs, interpreterMips, transitionInstructionEquivalents,
    minimalRoundTripUs: 1e6 / minimal.roundTripsPerSecond, minimalRoundTripSteadyUs: 1e6 / minimal.steadyRoundTripsPerSecond, keptBytesPerRoundTrip: kept.total,
    compareColdS: compare?.coldS ?? null, compareWarmS: compare?.warmS ?? null, runS: compare?.runS ?? null, history: travel };
  if (json) { process.stdout.write(JSON.stringify(result) + '\n'); return; }
  const rows: [string, string][] = [
    ['machine', `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}`],
    ['compute guest', `${b.icount.toLocaleString('en-US')} instructions in ${b.seconds.toFixed(2)} s (${perIteration.toFixed(1)} per loop iteration)`],
    ['MIPS', mips.toFixed(1)],
    ['hypercall round trips/s', `${Math.round(hypercallsPerSecond).toLocaleString('en-US')} (${instructionsPerHypercall.toFixed(0)} instructions each)`],
    ['qemu-x86_64 MIPS', qemuMips === null ? 'n/a (qemu-user not installed)' : qemuMips.toFixed(1)],
    ['ratio qemu / ours', qemuMips === null ? 'n/a' : `${(qemuMips / mips).toFixed(1)}x`],
    ...engineRows(engine),
    ['hypercall round trips/s, interpreter alone', Math.round(interpreterHypercalls).toLocaleString('en-US')],
    ['hypercall round trips/s, long loop', `${Math.round(longLoop.perSecond).toLocaleString('en-US')} (trips ${longLoop.from.toLocaleString('en-US')}-${longLoop.to.toLocaleString('en-US')} of one machine, its hot blocks compiled)`],
    ['memory kept per round trip', `${kept.total.toFixed(0)} bytes, ${kept.heap.toFixed(0)} of them V8 heap (long loop, the adapter's trace listener, after GC over 100,000 trips)`],
    ['VM exit + entry, sample host', `${transitionInstructionEquivalents.toFixed(0)} instruction-equivalents (round trip minus its instructions, at the compute guest's MIPS)`],
    ['VM exit + entry, minimal host', `${minimalEquivalents.toFixed(0)} instruction-equivalents (${Math.round(minimal.roundTripsPerSecond).toLocaleString('en-US')} round trips/s of ${minimal.instructionsPerTrip} instructions, ${(1e6 / minimal.roundTripsPerSecond).toFixed(2)} µs each, first 200,000 trips)`],
    ['  steady (median of five 100,000 from trip 600,000)', `${minimalSteadyEquivalents.toFixed(0)} instruction-equivalents at the compute guest's steady ${steadyMips.toFixed(0)} MIPS (${(1e6 / minimal.steadyRoundTripsPerSecond).toFixed(2)} µs each)`],
    ['pause latency (DAP)', `median ${pause.medianMs.toFixed(0)} ms, max ${pause.maxMs.toFixed(0)} ms over ${pause.samples} pauses`],
    ['launch to first stop (DAP)', `median ${launch.launchMs.toFixed(0)} ms over ${launch.sessions} sessions (stopOnEntry, the sample)`],
    ['next + stackTrace (DAP)', `median ${launch.nextStackTraceMs.toFixed(1)} ms`],
    ['hcdbg compare (lab), wall', !compare ? 'skipped (--skip-real-kvm)' : compare.coldS === null ? `n/a (${compare.note ?? 'the lab failed'})`
      : `cold ${compare.coldS.toFixed(1)} s (download, module build, boot), warm ${compare.warmS?.toFixed(1) ?? 'n/a'} s; hcdbg run of the same guest ${compare.runS.toFixed(1)} s`],
    ...historyRows(travel),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
}

function engineRows(engine: EngineGuest[]): [string, string][] {
  return engine.flatMap(({ name, fast, interpreter }) => [
    [`${name}`, `${fast.icount.toLocaleString('en-US')} instructions, identical with and without the fast engine`],
    ['  MIPS fast / interpreter', `${fast.mips.toFixed(1)} / ${interpreter.mips.toFixed(1)} (steady state ${fast.steadyMips.toFixed(1)} / ${interpreter.steadyMips.toFixed(1)})`],
    ['  warm-up, first 10^7', `${fast.warmupSeconds.toFixed(2)} s / ${interpreter.warmupSeconds.toFixed(2)} s`],
  ] as [string, string][]);
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
