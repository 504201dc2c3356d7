// The image-role note of docs/platform.md: an SHT_NOTE entry with owner "Hypercall" whose
// type says whether the image is a host hypervisor or a guest. The sample's images carry it,
// so a host passed as the guest (or the reverse) is refused before it runs, instead of
// booting into the wrong entry protocol. Images without the note are taken as given.

import type { ElfFile } from './elf';

export type ImageRole = 'host' | 'guest';

export const HC_NOTE_OWNER = 'Hypercall';
export const NT_HC_HOST = 1;
export const NT_HC_GUEST = 2;

/** The role the image's note declares, if it has one. */
export function declaredRole(elf: ElfFile): ImageRole | undefined {
  const note = elf.notes.find((n) => n.name === HC_NOTE_OWNER && (n.type === NT_HC_HOST || n.type === NT_HC_GUEST));
  return note && (note.type === NT_HC_HOST ? 'host' : 'guest');
}

/** Throws one sentence naming the file when its note declares the other role. */
export function checkRole(elf: ElfFile, given: ImageRole): void {
  const declared = declaredRole(elf);
  if (declared === undefined || declared === given) return;
  const what = declared === 'host' ? 'a host hypervisor image' : 'a guest image';
  throw new Error(`${elf.name} is ${what} (its ${HC_NOTE_OWNER} ELF note says so), not a ${given === 'host' ? 'host hypervisor' : 'guest'}; give it as the ${declared}.`);
}
