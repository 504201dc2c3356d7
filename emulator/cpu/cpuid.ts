// CPUID (Intel SDM vol. 2 CPUID): what this processor reports. Only features the interpreter
// implements are advertised; VMX (leaf 1 ECX.5) only when a VMX unit is attached. Hypervisor
// leaves 0x40000000+ belong to a hypervisor, not the CPU: zeros here.

import { MAX_PHYS_BITS } from './paging';

const str4 = (s: string) => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
const BRAND = 'Hypercall Debugger virtual x86-64 CPU'.padEnd(47, ' ') + '\0';
const MAX_BASIC = 7;
const MAX_EXT = 0x80000008;

/** EAX, EBX, ECX, EDX for a leaf/subleaf. */
export function cpuid(leaf: number, subleaf: number, vmx: boolean, out: Uint32Array): void {
  let a = 0, b = 0, c = 0, d = 0;
  switch (leaf) {
    case 0: a = MAX_BASIC; b = str4('Genu'); d = str4('ineI'); c = str4('ntel'); break;
    case 1:
      a = 0x00050654; // family 6, model 0x55, stepping 4
      b = 0x00010800; // CLFLUSH line 8*8 bytes, 1 logical processor, APIC id 0
      c = (vmx ? 1 << 5 : 0) | (1 << 13) /* CX16 */ | (1 << 22) /* MOVBE */ | (1 << 23) /* POPCNT */;
      d = (1 << 4) /* TSC */ | (1 << 5) /* MSR */ | (1 << 6) /* PAE */ | (1 << 8) /* CX8 */ | (1 << 13) /* PGE */
        | (1 << 15) /* CMOV */ | (1 << 16) /* PAT */ | (1 << 19) /* CLFSH */;
      break;
    case 7: if (subleaf === 0) b = (1 << 7) /* SMEP */ | (1 << 20) /* SMAP */; break;
    case 0x80000000: a = MAX_EXT; break;
    case 0x80000001:
      c = (1 << 0) /* LAHF/SAHF in 64-bit mode */ | (1 << 5) /* LZCNT */;
      d = (1 << 11) /* SYSCALL */ | (1 << 20) /* NX */ | (1 << 26) /* 1-GByte pages */ | (1 << 27) /* RDTSCP */ | (1 << 29) /* LM */;
      break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const o = (leaf - 0x80000002) * 16;
      a = str4(BRAND.slice(o, o + 4)); b = str4(BRAND.slice(o + 4, o + 8));
      c = str4(BRAND.slice(o + 8, o + 12)); d = str4(BRAND.slice(o + 12, o + 16));
      break;
    }
    case 0x80000008: a = (48 << 8) | MAX_PHYS_BITS; break;
    default: break;
  }
  out[0] = a; out[1] = b; out[2] = c; out[3] = d;
}
