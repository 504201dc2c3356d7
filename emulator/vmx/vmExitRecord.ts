// What a VM exit tells the machine and its listeners (api.ts VmExitInfo): the exit-information
// fields and the guest's RIP and GPRs at the moment of the exit. Each exit latches them into
// one LastVmExit, overwritten by the next; a VmExitRecord is made from it only when someone
// keeps one (onExit's listeners, the debugger's stop, a snapshot): making one at every exit
// cost ~14 % of a minimal exit + entry (docs/performance.md, ninth session). In a record, what
// is rarely read is made when read: RIP's bigint, the reason's name and the GPRs'
// BigUint64Array cost as much as a tenth of a minimal exit + entry (eighth session).

import type { VmExitInfo } from '../api';
import type { CpuState } from '../cpu/state';
import type { ExitDetails } from './exit';
import { exitReasonName } from './fields';

// The GPRs of 1,024 exits per shared 128 KiB buffer, as 32-bit halves: one typed array per exit
// would cost a backing-store allocation each. A record kept (a history snapshot's last exit)
// keeps its whole buffer; buffers of 256 exits made the minimal round trip ~3 % slower.
const GPR_WORDS = 32, CHUNK_WORDS = 1024 * GPR_WORDS;
let chunk = new Uint32Array(CHUNK_WORDS), chunkUsed = 0;

export class VmExitRecord implements VmExitInfo {
  private readonly rip: number;
  private ripBig: bigint | undefined;
  private readonly chunk: Uint32Array;
  private readonly offset: number;
  private gprs: BigUint64Array | undefined;

  /**
   * `rip` is a signed number (CpuState.ripNum), or NaN with `ripBig` when it is not canonical.
   * `gprHalves` are the 16 GPRs as 32-bit halves (CpuState.gprHalves), copied here.
   */
  constructor(
    readonly reason: number, readonly entryFailure: boolean, readonly qualification: bigint,
    rip: number, ripBig: bigint | undefined, gprHalves: Uint32Array,
    readonly instructionLength: number, readonly guestLinearAddress: bigint | undefined, readonly guestPhysicalAddress: bigint | undefined,
    readonly intrInfo: number, readonly intrErrorCode: number,
  ) {
    this.rip = rip;
    this.ripBig = ripBig;
    if (chunkUsed === CHUNK_WORDS) { chunk = new Uint32Array(CHUNK_WORDS); chunkUsed = 0; }
    const to = chunk, at = chunkUsed;
    to.set(gprHalves, at);
    chunkUsed = at + GPR_WORDS;
    this.chunk = to;
    this.offset = at;
  }

  get reasonName(): string { return exitReasonName(this.reason); }
  get guestRip(): bigint { return (this.ripBig ??= BigInt.asUintN(64, BigInt(this.rip))); }
  get guestGprs(): BigUint64Array {
    return (this.gprs ??= new BigUint64Array(this.chunk.buffer, this.chunk.byteOffset + this.offset * 4, 16));
  }
}

/** The last VM exit's information (not an entry failure's), overwritten by each exit. */
export class LastVmExit {
  private reason = 0;
  private qualification = 0n;
  private rip = 0;
  private ripBig: bigint | undefined;
  private readonly gprHalves = new Uint32Array(GPR_WORDS);
  private details: ExitDetails = {};
  private made: VmExitRecord | undefined;

  /** Latch exit `reason` (bits 15:0) with the guest's RIP and GPRs in `s`, as they are now. */
  latch(reason: number, qualification: bigint, details: ExitDetails, s: CpuState): void {
    this.reason = reason;
    this.qualification = qualification;
    this.details = details;
    const rip = s.ripNum;
    this.rip = rip;
    this.ripBig = Number.isNaN(rip) ? s.rip : undefined;
    // Written out: V8 checks each element of a loop over typed arrays, and the loop took ~45 % of
    // the exit's own time (transitions timed alone, docs/performance.md, tenth session).
    const from = s.gprHalves, to = this.gprHalves;
    to[0] = from[0]; to[1] = from[1]; to[2] = from[2]; to[3] = from[3];
    to[4] = from[4]; to[5] = from[5]; to[6] = from[6]; to[7] = from[7];
    to[8] = from[8]; to[9] = from[9]; to[10] = from[10]; to[11] = from[11];
    to[12] = from[12]; to[13] = from[13]; to[14] = from[14]; to[15] = from[15];
    to[16] = from[16]; to[17] = from[17]; to[18] = from[18]; to[19] = from[19];
    to[20] = from[20]; to[21] = from[21]; to[22] = from[22]; to[23] = from[23];
    to[24] = from[24]; to[25] = from[25]; to[26] = from[26]; to[27] = from[27];
    to[28] = from[28]; to[29] = from[29]; to[30] = from[30]; to[31] = from[31];
    this.made = undefined;
  }

  /** A record of it to keep: the same one until the next exit. */
  record(): VmExitRecord {
    const d = this.details;
    return (this.made ??= new VmExitRecord(this.reason, false, this.qualification, this.rip, this.ripBig, this.gprHalves,
      d.instructionLength ?? 0, d.guestLinear, d.guestPhysical, d.intrInfo ?? 0, d.intrErrorCode ?? 0));
  }
}
