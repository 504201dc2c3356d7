// The hello-hypercall sample as the protocol tests use it: ELF paths, source paths, and
// source lines found by `/* MARK: name */` comments (never hard-coded line numbers).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const SAMPLE = resolve(__dirname, '../../samples/hello-hypercall');
export const HOST_ELF = `${SAMPLE}/build/host.elf`;
export const GUEST_ELF = `${SAMPLE}/build/guest.elf`;

export const source = (relative: string): string => `${SAMPLE}/${relative}`;

/** The 1-based line of `/* MARK: name *\/` in a sample source file. */
export function findMarker(relative: string, name: string): number {
  const lines = readFileSync(source(relative), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(`MARK: ${name} */`));
  if (index < 0) throw new Error(`${relative} has no marker "${name}"`);
  return index + 1;
}

export const MARKERS = {
  guestVmcall: { file: 'include/kvm_para.h', line: () => findMarker('include/kvm_para.h', 'guest-vmcall') },
  guestSyscall: { file: 'guest/user.c', line: () => findMarker('guest/user.c', 'guest-syscall') },
  hostHello: { file: 'host/hypercalls/hello_hypercall.c', line: () => findMarker('host/hypercalls/hello_hypercall.c', 'host-hello') },
  hostHandleVmcall: { file: 'host/vmx.c', line: () => findMarker('host/vmx.c', 'host-handle-vmcall') },
};
