// Runs differential cases in the interpreter: the same code at CODE_BASE, the same window at
// DATA_BASE, at CPL 3 in a FlatMachine, until RIP reaches the end of the code or an exception
// is delivered. Produces the same CaseResult shape as the native runner.

import type { DiffCase } from './caseBuilder';
import { FlatMachine } from './flatMachine';
import { CODE_BASE, DATA_BASE, WINDOW } from './layout';
import type { CaseResult } from './nativeRunner';

/** Generous: the longest case is 4 instructions with REP counts up to 8. */
const STEP_LIMIT = 200;

export class EmulatorRunner {
  readonly machine = new FlatMachine();
  private readonly codePhys: number;
  private readonly dataPhys: number;

  /** `blocks`: run through Cpu.runBlock where it takes the code (every block built and, with `compiled`, compiled at first sight). */
  constructor(private readonly blocks = false, compiled = false) {
    this.machine.cpu.buildAfter = 1;
    this.machine.cpu.compileAfter = compiled ? 1 : Infinity;
    this.codePhys = this.machine.map(CODE_BASE);
    this.dataPhys = this.machine.map(DATA_BASE);
    this.machine.map(DATA_BASE + 0x1000);
  }

  run(c: DiffCase): CaseResult {
    const m = this.machine, st = m.state, mem = m.phys.bytes;
    m.reset();
    mem.fill(0xcc, this.codePhys, this.codePhys + 0x1000); // int3 after the end, never reached
    mem.set(c.code, this.codePhys);
    mem.set(c.window, this.dataPhys);
    m.cpu.invalidateCode(); // the code page was rewritten behind the CPU's back
    c.gpr.forEach((v, i) => { st.gpr[i] = v; });
    st.setRflags(c.rflags);
    st.rip = BigInt(CODE_BASE);
    const end = BigInt(CODE_BASE + c.code.length);
    let vector = -1, errorCode = -1;
    let rflags = 0;
    let ripOffset = c.code.length;
    const gpr: bigint[] = [];
    for (let n = 0; ; n++) {
      if (st.rip === end) { rflags = st.getRflags(); gpr.push(...st.gpr); break; }
      if (n === STEP_LIMIT) throw new Error(`case did not finish within ${STEP_LIMIT} steps (RIP 0x${st.rip.toString(16)})`);
      const ran = this.blocks ? m.cpu.runBlock(STEP_LIMIT - n) : 0;
      if (ran === 0) m.cpu.step(); else n += ran - 1;
      const fault = m.exceptionTaken();
      if (fault) {
        vector = fault.vector;
        errorCode = fault.errorCode ?? -1;
        rflags = fault.rflags;
        ripOffset = Number(fault.rip) - CODE_BASE;
        gpr.push(...st.gpr);
        gpr[4] = fault.rsp;
        break;
      }
    }
    return { gpr, rflags, ripOffset, vector, errorCode, window: mem.slice(this.dataPhys, this.dataPhys + WINDOW) };
  }
}
