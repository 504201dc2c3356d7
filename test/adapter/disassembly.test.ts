// The disassemble request as VS Code's Disassembly view pages through it: rows above the
// first function are memory that is not code (".byte" data) or not mapped, never "??"
// guesses; code is decoded only from known instruction starts, so the rows before an address
// line up with the instructions decoded forward from its function's entry; an empty
// reference (the view left open from an earlier session) is no error; instruction
// breakpoints say whether they are in the host or the guest.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { DebugInfo } from '../../debug-adapter/symbols';
import { launchAndConfigure, stack, useDebugClient } from './helpers';
import { GUEST_ELF, HOST_ELF } from './sample';

const dc = useDebugClient();
const guest = DebugInfo.load(GUEST_ELF);

async function stopOnVmcall(): Promise<DebugProtocol.StackFrame> {
  const stopped = dc().waitForEvent('stopped');
  await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF }, () => dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] }));
  await stopped;
  return (await stack(dc()))[0];
}

async function disassemble(memoryReference: string, instructionOffset: number, instructionCount: number): Promise<DebugProtocol.DisassembledInstruction[]> {
  return ((await dc().send('disassemble', { memoryReference, instructionOffset, instructionCount })) as DebugProtocol.DisassembleResponse).body!.instructions;
}

async function readable(address: bigint, count: number): Promise<Buffer> {
  const r = await dc().send('readMemory', { memoryReference: `guest:0x${address.toString(16)}`, count }) as DebugProtocol.ReadMemoryResponse;
  return Buffer.from(r.body?.data ?? '', 'base64');
}

/** Instruction starts decoded forward from `from`, up to `to`. */
async function forwardStarts(from: bigint, to: bigint): Promise<bigint[]> {
  const rows = await disassemble(`guest:0x${from.toString(16)}`, 0, 400);
  return rows.map((r) => BigInt(r.address)).filter((a) => a < to);
}

describe('disassembly', () => {
  it('shows memory above the first function as data or unmapped rows, and the function from its entry', async () => {
    await stopOnVmcall();
    const start = guest.symbolNamed('_start')!.value;
    const rows = await disassemble(`guest:0x${start.toString(16)}`, -40, 60);
    expect(rows).toHaveLength(60);
    expect(rows.filter((r) => /\?\?/.test(r.instruction))).toEqual([]);
    expect(BigInt(rows[40].address)).toBe(start);
    expect(rows[40]).toMatchObject({ symbol: '_start' });
    expect(rows[40].presentationHint).toBeUndefined();
    const addresses = rows.map((r) => BigInt(r.address));
    expect(addresses.every((a, i) => i === 0 || a > addresses[i - 1])).toBe(true);
    // Every row above _start is invalid: bytes shown as data, or a page that is not mapped.
    for (const [i, row] of rows.slice(0, 40).entries()) {
      expect(row.presentationHint, row.address).toBe('invalid');
      const end = addresses[i + 1];
      const length = Number(end - addresses[i]);
      const bytes = await readable(addresses[i], length);
      if (row.instruction === '<not mapped>') {
        expect(bytes.length, row.address).toBe(0);
        expect(addresses[i] % 0x1000n).toBe(0n);
      } else {
        expect(length).toBeLessThanOrEqual(16);
        expect(row.instruction).toBe(`.byte ${[...bytes].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}`);
        expect(row.instructionBytes).toBe(bytes.toString('hex').replace(/(..)(?!$)/g, '$1 '));
      }
    }
  });

  it('decodes the instructions before an address from its function\'s entry, the same on every page of the view', async () => {
    const top = await stopOnVmcall();
    const rip = BigInt(top.instructionPointerReference!);
    const fn = guest.functionAt(rip)!;
    const before = await disassemble(top.instructionPointerReference!, -6, 6);
    const after = await disassemble(top.instructionPointerReference!, 0, 3);
    expect(BigInt(after[0].address)).toBe(rip);
    expect(after[0].instruction).toBe('vmcall');
    // The rows just above RIP end at RIP and are the function's own instruction starts.
    const starts = await forwardStarts(fn.low, rip);
    const inFunction = before.map((r) => BigInt(r.address)).filter((a) => a >= fn.low);
    expect(inFunction).toEqual(starts.slice(starts.length - inFunction.length));
    // Paging further up with the same reference continues where the last page began.
    const further = await disassemble(top.instructionPointerReference!, -12, 6);
    const next = BigInt(further[5].address);
    const nextLength = further[5].instructionBytes ? further[5].instructionBytes.split(' ').length : 0;
    expect(next + BigInt(nextLength)).toBe(BigInt(before[0].address));
  });

  it('answers an empty reference with no instructions, not an error', async () => {
    await stopOnVmcall();
    expect(await disassemble('', -50, 50)).toEqual([]);
  });

  it('labels instruction breakpoints with their side and function', async () => {
    const top = await stopOnVmcall();
    const rip = BigInt(top.instructionPointerReference!);
    const fn = guest.functionAt(rip)!;
    const offset = rip - fn.low;
    // Shown in the guest's disassembly: the guest's.
    await disassemble(top.instructionPointerReference!, 0, 2);
    const shown = (await dc().send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: top.instructionPointerReference }] })).body.breakpoints[0];
    expect(shown).toMatchObject({
      verified: true,
      instructionReference: `guest:0x${rip.toString(16)}`,
      message: `Instruction breakpoint at guest ${fn.name}+0x${offset.toString(16)} (0x${rip.toString(16)}).`,
    });
    // An address no disassembly showed: both programs, each with its function there.
    const host = DebugInfo.load(HOST_ELF);
    const unseen = rip + 0x40n;
    const at = (info: DebugInfo): string => {
      const f = info.functionAt(unseen)!;
      return `${unseen === f.low ? f.name : `${f.name}+0x${(unseen - f.low).toString(16)}`} (0x${unseen.toString(16)})`;
    };
    const both = (await dc().send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${unseen.toString(16)}` }] })).body.breakpoints[0];
    expect(both.instructionReference).toBe(`0x${unseen.toString(16)}`);
    expect(both.message).toBe(`Instruction breakpoint at guest ${at(guest)} and host ${at(host)}.`);
  });
});
