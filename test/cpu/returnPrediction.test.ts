// StackTrack (emulator/cpu/returnPrediction.ts): where a function tail's RET reads its address,
// followed from RSP and RBP at the block's start through the instructions a block takes in.

import { DecodedInsn, decode } from '../../emulator/decoder/decoder';
import { OPCODES } from '../../emulator/decoder/opcodeTable';
import { StackTrack } from '../../emulator/cpu/returnPrediction';

const RSP = 0x7000_1000, RBP = 0x7000_2000;

/** The RET's address slot after `bytes` (64-bit code, decoded one instruction after another). */
function topAfter(bytes: number[]): number | undefined {
  const mem = new Uint8Array([...bytes, ...new Array(16).fill(0x90)]);
  const track = new StackTrack(RSP, RBP);
  for (let p = 0; p < bytes.length;) {
    const i = new DecodedInsn();
    decode(i, mem, p, 15, true, 4);
    track.step(OPCODES[i.id].handler, i);
    p += i.length;
  }
  return track.top;
}

describe('StackTrack', () => {
  it('follows pushes, pops, ADD/SUB RSP and LEAVE', () => {
    expect(topAfter([])).toBe(RSP);
    expect(topAfter([0x5b, 0x5d])).toBe(RSP + 16); // pop rbx; pop rbp
    expect(topAfter([0x53, 0x6a, 0x01])).toBe(RSP - 16); // push rbx; push 1
    expect(topAfter([0x48, 0x83, 0xc4, 0x18, 0x41, 0x5c])).toBe(RSP + 0x20); // add rsp, 0x18; pop r12
    expect(topAfter([0x48, 0x81, 0xec, 0x00, 0x01, 0x00, 0x00])).toBe(RSP - 0x100); // sub rsp, 0x100
    expect(topAfter([0xc9])).toBe(RBP + 8); // leave
    expect(topAfter([0x48, 0x89, 0xc3, 0x48, 0x8b, 0x44, 0x24, 0x08])).toBe(RSP); // mov rbx, rax; mov rax, [rsp+8]
  });

  it('gives up where RSP or RBP take a value it cannot follow', () => {
    expect(topAfter([0x48, 0x89, 0xc4])).toBeUndefined(); // mov rsp, rax
    expect(topAfter([0x48, 0x83, 0xe4, 0xf0])).toBeUndefined(); // and rsp, -16
    expect(topAfter([0x5c])).toBeUndefined(); // pop rsp
    expect(topAfter([0x48, 0x8d, 0x65, 0xf0])).toBeUndefined(); // lea rsp, [rbp-16]
    expect(topAfter([0x5d, 0xc9])).toBeUndefined(); // pop rbp; leave
    expect(topAfter([0x48, 0x89, 0xc5, 0xc9])).toBeUndefined(); // mov rbp, rax; leave
    expect(topAfter([0x66, 0x5b])).toBeUndefined(); // pop bx
  });
});
