// "Create a new custom hypercall": number choice, collision warnings, the new handler file and
// the edits of kvm_para.h and the guest, on the shipped sample's own sources; the result builds
// and the model host answers the new hypercall from its file alone (x86.c untouched).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CustomHypercallError, collisionWarnings, hypercallMacroName, hypercallNameProblem, pickHypercallNumber, planNewHypercall,
} from '../../extension/hypercall/customHypercall';
import { hypercallDefines } from '../../emulator/trace/kvmHypercalls';
import { runOnModel } from '../../realkvm/modelRun';
import { sampleWithNewHypercall } from '../sample/newHypercall';

const sample = resolve(__dirname, '../../samples/hello-hypercall');
const kvmParaH = readFileSync(resolve(sample, 'include/kvm_para.h'), 'utf8');
const handlerFiles = readdirSync(resolve(sample, 'host/hypercalls'));
const GUEST = ['long sys_hello_hypercall(void)', '{', '\tkvm_hypercall0(KVM_HC_HELLO_HYPERCALL);', '\treturn 0;', '}', ''].join('\n');

describe('custom hypercall', () => {
  it('turns what the user types into a KVM_HC_ macro name', () => {
    expect(hypercallMacroName('my call')).toBe('KVM_HC_MY_CALL');
    expect(hypercallMacroName('kvm_hc_Ping')).toBe('KVM_HC_PING');
    expect(() => hypercallMacroName('  ')).toThrow(CustomHypercallError);
    expect(() => hypercallMacroName('9lives')).toThrow(/not a usable hypercall name/);
  });

  it('tells what is wrong with the name while it is typed, naming the characters a C name cannot hold', () => {
    expect(hypercallNameProblem('my-ping!', { kvmParaH, handlerFiles })).toBe(
      '"my-ping!" is not a usable hypercall name ("-", "!" cannot be part of a C name): use letters, digits and underscores, starting with a letter.');
    expect(hypercallNameProblem('', { kvmParaH, handlerFiles })).toBe('Give the hypercall a name.');
    expect(hypercallNameProblem('hello_hypercall', { kvmParaH, handlerFiles })).toMatch(/already exists in kvm_para.h/);
    expect(hypercallNameProblem('my ping', { kvmParaH, handlerFiles })).toBeUndefined();
    expect(planNewHypercall('my ping', { kvmParaH, handlerFiles }).traceText).toBe('my_ping');
  });

  it('picks a number no upstream KVM_HC_* and no custom one in kvm_para.h uses', () => {
    const defines = hypercallDefines(kvmParaH);
    expect(defines.map((d) => d.name)).toContain('KVM_HC_HELLO_HYPERCALL');
    const nr = pickHypercallNumber(defines);
    expect(nr).toBeGreaterThan(12);
    expect(defines.map((d) => d.number)).not.toContain(nr);
    expect(pickHypercallNumber([{ name: 'KVM_HC_A', number: 0x100, line: 0 }, { name: 'KVM_HC_B', number: 0x102, line: 1 }])).toBe(0x101);
  });

  it('warns about existing numbers that collide with upstream or with each other', () => {
    expect(collisionWarnings(hypercallDefines(kvmParaH))).toEqual([]);
    const old = '#define KVM_HC_CLOCK_PAIRING 9\n#define KVM_HC_HELLO 9\n#define KVM_HC_A 0x200\n#define KVM_HC_B 512\n';
    const warnings = collisionWarnings(hypercallDefines(old));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/KVM_HC_HELLO is 9, the number of upstream KVM_HC_CLOCK_PAIRING/);
    expect(warnings[1]).toMatch(/KVM_HC_B and KVM_HC_A share the number 0x200/);
  });

  it('adds the #define, a handler file numbered by it and a guest caller', () => {
    const plan = planNewHypercall('ping', { kvmParaH, handlerFiles, guest: { path: 'guest/kernel.c', text: GUEST } });
    expect(plan.macro).toBe('KVM_HC_PING');
    const defines = hypercallDefines(plan.kvmParaH);
    expect(defines.find((d) => d.name === 'KVM_HC_PING')?.number).toBe(plan.number);
    // The define comes after the last custom one and its multi-line comment, still inside the header.
    const lines = plan.kvmParaH.split('\n');
    const defineLine = lines.findIndex((l) => l.startsWith('#define KVM_HC_PING'));
    expect(lines[defineLine - 1]).toMatch(/\*\/\s*$/);
    expect(plan.kvmParaH).toContain('static inline long kvm_hc_ping(void)\n{\n\treturn kvm_hypercall0(KVM_HC_PING);\n}');
    expect(plan.kvmParaH.indexOf('kvm_hc_ping(void)')).toBeLessThan(plan.kvmParaH.indexOf('#endif /* __ASSEMBLER__ */'));

    expect(plan.handler).toMatchObject({ fileName: 'ping.c', handler: 'kvm_pv_ping' });
    const handler = plan.handler.text.split('\n');
    expect(handler[plan.handler.line]).toBe('\ttrace_printk("ping");');
    expect(handler).toContain('#include "hypercall.h"');
    expect(handler).toContain('KVM_CUSTOM_HYPERCALL(KVM_HC_PING, kvm_pv_ping);');
    expect(plan.guest?.text).toBe(GUEST.replace('HYPERCALL);\n', 'HYPERCALL);\n\tkvm_hc_ping();\n'));
    expect(plan.warnings).toEqual([]);
  });

  it('refuses a name that exists or is upstream, naming it', () => {
    expect(() => planNewHypercall('hello hypercall', { kvmParaH, handlerFiles })).toThrow('KVM_HC_HELLO_HYPERCALL already exists in kvm_para.h; choose another name.');
    expect(() => planNewHypercall('sched_yield', { kvmParaH, handlerFiles })).toThrow(/KVM_HC_SCHED_YIELD is an upstream KVM hypercall/);
  });

  it('refuses a name whose handler file exists or that the module\'s build takes, naming the file', () => {
    expect(() => planNewHypercall('ping', { kvmParaH, handlerFiles: [...handlerFiles, 'ping.c'] })).toThrow('host/hypercalls/ping.c already exists; choose another name.');
    expect(() => planNewHypercall('hc hook', { kvmParaH, handlerFiles })).toThrow('hc_hook is the name of a file of the real-KVM hypercall module; choose another name.');
  });

  it('gives a sample that builds with -Werror and whose model host answers the new hypercall from its file alone', () => {
    const hcdbg = resolve(__dirname, '../../dist/hcdbg.js');
    if (!existsSync(hcdbg)) throw new Error('dist/hcdbg.js is missing: run `npm run build` first (npm test does).');
    const { dir, plan } = sampleWithNewHypercall('ping');
    try {
      // kvm_emulate_hypercall is the shipped one, which has never heard of ping.
      const x86c = readFileSync(join(dir, 'host/x86.c'), 'utf8');
      expect(x86c).toBe(readFileSync(join(sample, 'host/x86.c'), 'utf8'));
      expect(x86c).not.toMatch(/KVM_HC_PING|kvm_pv_ping/);
      const out = execFileSync(process.execPath, [hcdbg, 'run', '--guest', join(dir, 'build/guest.elf'), '--host', join(dir, 'build/host.elf'), '--trace'], { encoding: 'utf8' });
      expect(out).toContain(`kvm_hypercall: nr 0x${plan.number.toString(16)} `);
      expect(out).toMatch(/: kvm_pv_ping: ping$/m);
      expect(out).toMatch(/: kvm_pv_hello_hypercall: Hello World$/m);
      // The guest's RAX after the VMCALL: the handler's 0, not -KVM_ENOSYS.
      const answers = runOnModel(join(dir, 'build/host.elf'), join(dir, 'build/guest.elf')).answers!;
      expect(answers.filter((a) => a.nr === BigInt(plan.number))).toEqual([{ nr: BigInt(plan.number), ret: 0n }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
