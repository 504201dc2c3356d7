// Where a block's RET goes when the CALL that pushed its address ran in an earlier block: a
// function's tail (`pop rbx; pop rbp; ret`) ended its block at the RET, and nearly half of
// the sample's blocks per round trip were such tails (docs/performance.md, ninth session).
// A block is built as it is about to run, so the stack is there to read: RSP and RBP are
// followed through the instructions the block takes in, and the RET's address is read
// where RSP will point. The block goes on at that address; the RET checks at run time that it
// returns there and leaves the block otherwise, as for a RET whose CALL is in the block (a
// prediction only chooses what gets decoded, never what runs).

import type { DecodedInsn } from '../decoder/decoder';

const RSP = 4, RBP = 5;

/** Handlers whose register operand is in the opcode's low bits (DecodedInsn.opReg). */
const OPCODE_REGISTER = new Set(['movZI', 'incZ', 'decZ', 'xchgZA', 'bswap']);
/** Handlers with a ModRM that write only the register in ModRM.rm (register forms), or only the one in ModRM.reg. */
const WRITES_RM = new Set(['movEG', 'setcc', 'shift', 'shxd', 'incDecE', 'notE', 'negE', 'aluEG', 'aluEI', 'btI', 'btG', 'vmread']);
const WRITES_REG = new Set(['movGE', 'lea', 'movsxd', 'movzx', 'movsx', 'aluGE', 'imul2', 'imul3', 'bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt', 'cmov', 'movbe']);
/** Handlers with a ModRM that write no register. */
const WRITES_NONE = new Set(['testEG', 'testEI', 'nopE', 'vmwrite', 'jmpE']);

/** RSP and RBP through a block's instructions as they join it, from their values when it starts. */
export class StackTrack {
  /** Signed-number values (canonical addresses are exact), undefined once unknown. */
  private rsp: number | undefined;
  private rbp: number | undefined;

  constructor(rsp: number, rbp: number) {
    this.rsp = rsp;
    this.rbp = rbp;
  }

  /** Where the next RET will read its address, if known. */
  get top(): number | undefined { return this.rsp; }

  /** Account for `i` (handler `name`), which joins the block; a RET or CALL the block follows counts as followed. */
  step(name: string, i: DecodedInsn): void {
    switch (name) {
      case 'pushZ': case 'pushI': case 'pushE': case 'callNear': case 'callE':
        this.moveRsp(i.opsize === 8 || name === 'callNear' || name === 'callE' ? -8 : undefined);
        return;
      case 'popZ':
        this.moveRsp(i.opsize === 8 ? 8 : undefined);
        this.written(i.opReg);
        return;
      case 'popE':
        this.moveRsp(i.opsize === 8 ? 8 : undefined);
        if (i.mod === 3) this.written(i.rm);
        return;
      case 'retNear':
        this.moveRsp(i.opcode === 0xc3 ? 8 : undefined);
        return;
      case 'leave':
        this.rsp = this.rbp === undefined || i.opsize !== 8 ? undefined : this.rbp + 8;
        this.rbp = undefined;
        return;
    }
    if (name === 'aluEI' && i.mod === 3 && i.rm === RSP && i.opsize === 8 && (i.reg === 0 || i.reg === 5)) {
      this.moveRsp(i.reg === 0 ? i.imm : -i.imm); // add / sub rsp, imm
      return;
    }
    if (OPCODE_REGISTER.has(name)) this.written(i.opReg);
    else if (i.hasModrm && !WRITES_NONE.has(name)) {
      if (!WRITES_RM.has(name)) this.written(i.reg);
      if (!WRITES_REG.has(name) && i.mod === 3) this.written(i.rm);
    }
  }

  private moveRsp(by: number | undefined): void {
    this.rsp = this.rsp === undefined || by === undefined ? undefined : this.rsp + by;
  }

  private written(reg: number): void {
    if (reg === RSP) this.rsp = undefined;
    else if (reg === RBP) this.rbp = undefined;
  }
}
