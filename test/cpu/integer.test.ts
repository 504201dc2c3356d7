// Per-instruction tests of the integer instructions; expected values worked out from the
// Intel SDM vol. 2 "Operation" and "Flags Affected" sections.
import { assembler, run, reg, flags, makeMachine, runTo, CODE, HANDLERS, STACK } from './harness';

const asm = assembler('integer');

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, DF = 0x400;
const STATUS = CF | PF | AF | ZF | SF | OF;
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RSI = 6, RDI = 7;
const M64 = (1n << 64n) - 1n;

function go(src: string, setup?: Parameters<typeof run>[1]) { return run(asm(src), setup); }
const status = (m: ReturnType<typeof run>) => flags(m) & STATUS;
/** The machine stopped in the HLT stub of exception `v`. */
const inHandler = (m: ReturnType<typeof run>, v: number) => m.state.halted && m.state.rip === BigInt(HANDLERS + v * 16 + 1);

describe('add/sub/adc/sbb flags', () => {
  test('32-bit signed overflow sets OF, SF, AF, PF; result zero-extends', () => {
    const m = go('mov rax, -1\nmov eax, 0x7fffffff\nadd eax, 1');
    expect(reg(m, RAX)).toBe(0x80000000n);
    expect(status(m)).toBe(OF | SF | AF | PF);
  });
  test('64-bit borrow: 0 - 1', () => {
    const m = go('xor eax, eax\nsub rax, 1');
    expect(reg(m, RAX)).toBe(M64);
    expect(status(m)).toBe(CF | SF | AF | PF);
  });
  test('128-bit add with adc carries into the high half', () => {
    const m = go('mov rax, -1\nxor edx, edx\nadd rax, 1\nadc rdx, 0');
    expect(reg(m, RAX)).toBe(0n);
    expect(reg(m, RDX)).toBe(1n);
    expect(status(m) & (CF | ZF)).toBe(0);
  });
  test('sbb subtracts the borrow', () => {
    const m = go('stc\nmov ecx, 10\nsbb ecx, 3');
    expect(reg(m, RCX)).toBe(6n);
  });
  test('cmp sets ZF and does not write; 8-bit high registers', () => {
    const m = go('mov eax, 0x1200\nmov ebx, 0x12\ncmp ah, bl');
    expect(status(m) & ZF).toBe(ZF);
    expect(reg(m, RAX)).toBe(0x1200n);
  });
  test('16-bit and 8-bit writes preserve the rest of the register', () => {
    const m = go('mov rax, -1\nmov ax, 1\nmov rbx, -1\nmov bl, 2\nmov rcx, -1\nmov ch, 3');
    expect(reg(m, RAX)).toBe(0xffffffffffff0001n);
    expect(reg(m, RBX)).toBe(0xffffffffffffff02n);
    expect(reg(m, RCX)).toBe(0xffffffffffff03ffn);
  });
  test('REX byte registers: sil/dil, not dh/bh', () => {
    const m = go('mov rsi, 0x1234\nmov dil, sil');
    expect(reg(m, RDI) & 0xffn).toBe(0x34n);
  });
  test('inc/dec keep CF; neg sets CF unless zero', () => {
    const m = go('stc\nmov al, 0xff\ninc al');
    expect(reg(m, RAX) & 0xffn).toBe(0n);
    expect(status(m) & (CF | ZF)).toBe(CF | ZF);
    expect(status(go('mov eax, 0\nneg eax')) & CF).toBe(0);
    const n = go('mov eax, 5\nneg eax');
    expect(status(n) & CF).toBe(CF);
    expect(reg(n, RAX)).toBe(0xfffffffbn);
  });
  test('logic ops clear CF and OF', () => {
    const m = go('stc\nmov eax, 0xf0\nand eax, 0x80000000');
    expect(status(m)).toBe(ZF | PF);
  });
  test('xor r32, r32 zeroes the whole register', () => {
    expect(reg(go('mov rax, -1\nxor eax, eax'), RAX)).toBe(0n);
  });
});

describe('multiply and divide', () => {
  test('mul r64 gives RDX:RAX and CF=OF=1', () => {
    const m = go('mov rax, -1\nmov rcx, 2\nmul rcx');
    expect(reg(m, RDX)).toBe(1n);
    expect(reg(m, RAX)).toBe(M64 - 1n);
    expect(status(m) & (CF | OF)).toBe(CF | OF);
  });
  test('imul r32, r/m32, imm8 with a negative immediate', () => {
    const m = go('mov ecx, 5\nimul eax, ecx, -3');
    expect(reg(m, RAX)).toBe(0xfffffff1n);
    expect(status(m) & (CF | OF)).toBe(0);
  });
  test('imul r32 overflow sets CF and OF', () => {
    const m = go('mov ecx, 0x10000\nimul ecx, ecx');
    expect(reg(m, RCX)).toBe(0n);
    expect(status(m) & (CF | OF)).toBe(CF | OF);
  });
  test('imul r64 truncates the signed product', () => {
    const m = go('mov rax, 0x100000000\nimul rax, rax');
    expect(reg(m, RAX)).toBe(0n);
    expect(status(m) & (CF | OF)).toBe(CF | OF);
  });
  test('one-operand imul r64 sign-extends into RDX', () => {
    const m = go('mov rax, -3\nmov rcx, 5\nimul rcx');
    expect(reg(m, RAX)).toBe(BigInt.asUintN(64, -15n));
    expect(reg(m, RDX)).toBe(M64);
    expect(status(m) & CF).toBe(0);
  });
  test('div r64 with a 128-bit dividend', () => {
    const m = go('mov rdx, 1\nxor eax, eax\nmov rcx, 2\ndiv rcx');
    expect(reg(m, RAX)).toBe(1n << 63n);
    expect(reg(m, RDX)).toBe(0n);
  });
  test('idiv rounds toward zero, remainder has the dividend sign', () => {
    const m = go('mov rax, -7\ncqo\nmov rcx, 2\nidiv rcx');
    expect(reg(m, RAX)).toBe(BigInt.asUintN(64, -3n));
    expect(reg(m, RDX)).toBe(M64);
  });
  test('div r32 and div r8', () => {
    const m = go('mov edx, 1\nmov eax, 2\nmov ecx, 3\ndiv ecx\nmov r8, rax\nmov ax, 100\nmov bl, 7\ndiv bl');
    expect(reg(m, 8)).toBe(0x55555556n);
    expect(reg(m, RAX) & 0xffffn).toBe((2n << 8n) | 14n);
  });
  test('divide by zero raises #DE at the div', () => {
    const code = asm('xor edx, edx\nmov eax, 1\nxor ecx, ecx\ndiv ecx');
    const m = makeMachine(code);
    runTo(m, 0n, 10);
    expect(inHandler(m, 0)).toBe(true);
    expect(m.mem.read64(Number(m.state.gpr[RSP]))).toBe(BigInt(CODE + code.length - 2)); // faulting RIP
  });
  test('quotient overflow raises #DE', () => {
    const m = makeMachine(asm('mov edx, 1\nxor eax, eax\nmov ecx, 1\ndiv ecx'));
    runTo(m, 0n, 10);
    expect(inHandler(m, 0)).toBe(true);
  });
  test('idiv of INT64_MIN by -1 raises #DE', () => {
    const m = makeMachine(asm('mov rax, 0x8000000000000000\ncqo\nmov rcx, -1\nidiv rcx'));
    runTo(m, 0n, 10);
    expect(inHandler(m, 0)).toBe(true);
  });
});

describe('shifts and rotates', () => {
  test('count 0 leaves flags alone', () => {
    const m = go('mov eax, 1\nstc\nxor ecx, ecx\nstc\nshl eax, cl');
    expect(status(m) & CF).toBe(CF);
    expect(reg(m, RAX)).toBe(1n);
  });
  test('count is masked to 5 bits (32-bit) and 6 bits (64-bit)', () => {
    expect(reg(go('mov cl, 33\nmov eax, 1\nshl eax, cl'), RAX)).toBe(2n);
    expect(reg(go('mov cl, 65\nmov rax, 1\nshl rax, cl'), RAX)).toBe(2n);
    expect(reg(go('mov cl, 33\nmov rax, 1\nshl rax, cl'), RAX)).toBe(1n << 33n);
  });
  test('shl sets CF to the last bit out and OF = MSB ^ CF for count 1', () => {
    const m = go('mov eax, 0xc0000000\nshl eax, 1');
    expect(reg(m, RAX)).toBe(0x80000000n);
    expect(status(m) & (CF | OF | SF)).toBe(CF | SF);
  });
  test('shr: OF is the original MSB for count 1', () => {
    const m = go('mov eax, 0x80000003\nshr eax, 1');
    expect(reg(m, RAX)).toBe(0x40000001n);
    expect(status(m) & (CF | OF)).toBe(CF | OF);
  });
  test('sar keeps the sign; 8-bit count beyond width fills with sign', () => {
    expect(reg(go('mov eax, -8\nsar eax, 2'), RAX)).toBe(0xfffffffen);
    const m = go('mov al, 0x80\nmov cl, 20\nsar al, cl');
    expect(reg(m, RAX) & 0xffn).toBe(0xffn);
    expect(status(m) & CF).toBe(CF);
  });
  test('64-bit shifts across the 32-bit halves', () => {
    expect(reg(go('mov rax, 0x80000001\nshl rax, 32'), RAX)).toBe(0x8000000100000000n);
    const m = go('mov rax, 0x8000000180000000\nshr rax, 31');
    expect(reg(m, RAX)).toBe(0x100000003n);
    expect(status(m) & CF).toBe(0);
    expect(reg(go('mov rax, 0x8000000000000000\nsar rax, 40'), RAX)).toBe(0xffffffffff800000n);
  });
  test('rol/ror/rcl/rcr', () => {
    const m = go('mov al, 0x81\nrol al, 1');
    expect(reg(m, RAX) & 0xffn).toBe(3n);
    expect(status(m) & (CF | OF)).toBe(CF | OF);
    expect(reg(go('mov eax, 1\nror eax, 1'), RAX)).toBe(0x80000000n);
    const r = go('clc\nmov al, 0x80\nrcl al, 1');
    expect(reg(r, RAX) & 0xffn).toBe(0n);
    expect(status(r) & CF).toBe(CF);
    expect(reg(go('stc\nmov rax, 0\nrcr rax, 1'), RAX)).toBe(1n << 63n);
    expect(reg(go('mov rax, 0x8000000000000001\nrol rax, 4'), RAX)).toBe(0x18n);
  });
  test('shld/shrd', () => {
    expect(reg(go('mov eax, 0x12345678\nmov edx, 0x9abcdef0\nshld eax, edx, 8'), RAX)).toBe(0x3456789an);
    const m = go('mov rax, 1\nmov rdx, 3\nshrd rax, rdx, 1');
    expect(reg(m, RAX)).toBe(1n << 63n);
    expect(status(m) & CF).toBe(CF);
    expect(reg(go('mov rax, 0x0123456789abcdef\nmov rdx, 0xfedcba9876543210\nmov cl, 68\nshld rax, rdx, cl'), RAX)).toBe(0x123456789abcdeffn);
  });
});

describe('bit operations', () => {
  test('bsf/bsr of zero set ZF and keep the destination', () => {
    const m = go('mov eax, 0x1234\nxor ecx, ecx\nbsf eax, ecx');
    expect(status(m) & ZF).toBe(ZF);
    expect(reg(m, RAX)).toBe(0x1234n);
    const n = go('mov ecx, 0x50\nbsf eax, ecx\nbsr ebx, ecx');
    expect(reg(n, RAX)).toBe(4n);
    expect(reg(n, RBX)).toBe(6n);
    expect(status(n) & ZF).toBe(0);
    expect(reg(go('mov rcx, 0x8000000000000000\nbsr rax, rcx'), RAX)).toBe(63n);
  });
  test('tzcnt/lzcnt/popcnt', () => {
    const m = go('xor ecx, ecx\ntzcnt eax, ecx');
    expect(reg(m, RAX)).toBe(32n);
    expect(status(m) & CF).toBe(CF);
    expect(reg(go('mov ecx, 1\nlzcnt eax, ecx'), RAX)).toBe(31n);
    expect(reg(go('mov rcx, 0x100000000\ntzcnt rax, rcx'), RAX)).toBe(32n);
    const p = go('mov rcx, -1\npopcnt rax, rcx');
    expect(reg(p, RAX)).toBe(64n);
    expect(status(p)).toBe(0);
  });
  test('bt/bts/btr/btc on registers and memory with a register offset', () => {
    expect(status(go('mov eax, 5\nbt eax, 2')) & CF).toBe(CF);
    const m = go('mov ebx, 0\nbts ebx, 33');
    expect(status(m) & CF).toBe(0);
    expect(reg(m, RBX)).toBe(2n);
    const n = go('mov rdi, 0x20000\nmov rax, 65\nbts qword ptr [rdi], rax\nmov rax, -1\nbtc qword ptr [rdi+8], rax');
    expect(n.mem.read64(0x20008)).toBe(2n);
    expect(n.mem.read8(0x20007)).toBe(0x80);
  });
});

describe('moves, exchanges and conversions', () => {
  test('movzx/movsx/movsxd and cbw..cqo', () => {
    const m = go('mov ecx, 0x80\nmovsx eax, cl\nmovzx ebx, cl\nmov edx, -2\nmovsxd rsi, edx');
    expect(reg(m, RAX)).toBe(0xffffff80n);
    expect(reg(m, RBX)).toBe(0x80n);
    expect(reg(m, RSI)).toBe(M64 - 1n);
    expect(reg(go('mov eax, 0x80000000\ncdqe'), RAX)).toBe(0xffffffff80000000n);
    expect(reg(go('mov rax, -1\nmov ax, 0x7f80\ncbw'), RAX)).toBe(0xffffffffffffff80n);
    expect(reg(go('mov eax, 0x8000\ncwde'), RAX)).toBe(0xffff8000n);
    expect(reg(go('mov eax, -1\ncdq'), RDX)).toBe(0xffffffffn);
  });
  test('cmov with a 32-bit destination zero-extends even when false', () => {
    const m = go('mov rax, -1\nxor ecx, ecx\ncmovne eax, ecx');
    expect(reg(m, RAX)).toBe(0xffffffffn);
    expect(reg(go('mov eax, 1\nmov ecx, 2\ncmp eax, ecx\ncmovl eax, ecx'), RAX)).toBe(2n);
  });
  test('setcc', () => {
    const m = go('mov eax, -1\ncmp eax, 1\nsetl bl\nsetb cl\nsetg dl');
    expect(reg(m, RBX) & 0xffn).toBe(1n);
    expect(reg(m, RCX) & 0xffn).toBe(0n);
    expect(reg(m, RDX) & 0xffn).toBe(0n);
  });
  test('bswap and movbe', () => {
    expect(reg(go('mov rax, 0x0102030405060708\nbswap rax'), RAX)).toBe(0x0807060504030201n);
    expect(reg(go('mov eax, 0x11223344\nbswap eax'), RAX)).toBe(0x44332211n);
    const m = go('mov rdi, 0x20000\nmov eax, 0x11223344\nmovbe [rdi], eax\nmovbe ebx, [rdi]');
    expect(m.mem.read32(0x20000)).toBe(0x44332211);
    expect(reg(m, RBX)).toBe(0x11223344n);
  });
  test('cmpxchg success and failure', () => {
    const ok = go('mov eax, 5\nmov ecx, 5\nmov edx, 9\ncmpxchg ecx, edx');
    expect(reg(ok, RCX)).toBe(9n);
    expect(status(ok) & ZF).toBe(ZF);
    const no = go('mov rax, -1\nmov eax, 1\nmov ecx, 5\nmov edx, 9\ncmpxchg ecx, edx');
    expect(reg(no, RAX)).toBe(5n);
    expect(reg(no, RCX)).toBe(5n);
    expect(status(no) & ZF).toBe(0);
  });
  test('lock cmpxchg16b', () => {
    const m = go('mov rdi, 0x20000\nxor eax, eax\nxor edx, edx\nmov ebx, 1\nmov ecx, 2\nlock cmpxchg16b [rdi]');
    expect(m.mem.read64(0x20000)).toBe(1n);
    expect(m.mem.read64(0x20008)).toBe(2n);
    expect(status(m) & ZF).toBe(ZF);
  });
  test('cmpxchg16b on a non-16-byte-aligned operand raises #GP(0)', () => {
    const m = makeMachine(asm('mov rdi, 0x20008\ncmpxchg16b [rdi]'));
    runTo(m, 0n, 10);
    expect(inHandler(m, 13)).toBe(true);
    expect(m.mem.read64(Number(m.state.gpr[RSP]))).toBe(0n);
  });
  test('xadd and xchg with memory', () => {
    const m = go('mov eax, 1\nmov ecx, 2\nxadd eax, ecx\nmov rdi, 0x20000\nmov dword ptr [rdi], 7\nmov edx, 3\nlock xchg [rdi], edx');
    expect(reg(m, RAX)).toBe(3n);
    expect(reg(m, RCX)).toBe(1n);
    expect(reg(m, RDX)).toBe(7n);
    expect(m.mem.read32(0x20000)).toBe(3);
  });
  test('lea: 64-bit arithmetic without canonical checks, RIP-relative, 32-bit address size', () => {
    const m = go('mov rbx, 0x7fffffffffffffff\nmov rcx, 2\nlea rax, [rbx+rcx*4+1]\nlea rdx, [rip+0x10]\nlea esi, [ebx+ecx]');
    expect(reg(m, RAX)).toBe(0x8000000000000008n);
    expect(reg(m, RDX)).toBe(BigInt(CODE) + 10n + 7n + 5n + 7n + 0x10n);
    expect(reg(m, RSI)).toBe(1n);
  });
  test('lahf/sahf, cmc/clc/stc, xlat', () => {
    const m = go('xor eax, eax\nstc\nlahf\nmov bl, ah\nmov ah, 0xd5\nsahf\ncmc');
    expect(reg(m, RBX) & 0xffn).toBe(0x47n);
    expect(status(m)).toBe(ZF | PF | AF | SF);
    const x = go('mov rbx, 0x20000\nmov byte ptr [rbx+5], 0x42\nmov eax, 5\nxlat');
    expect(reg(x, RAX) & 0xffn).toBe(0x42n);
  });
});

describe('stack and control flow', () => {
  test('push/pop, call/ret, enter/leave', () => {
    const m = go('mov rax, 0x1122334455667788\npush rax\npop rbx\ncall f\njmp done\nf: enter 16, 0\nmov rcx, rsp\nleave\nret\ndone: nop');
    expect(reg(m, RBX)).toBe(0x1122334455667788n);
    expect(reg(m, RCX)).toBe(BigInt(STACK - 8 - 8 - 16));
    expect(reg(m, RSP)).toBe(BigInt(STACK));
  });
  test('push imm8 sign-extends; ret imm16 pops extra bytes', () => {
    const m = go('push -1\npop rax\ncall f\njmp done\nf: ret 0\ndone: sub rsp, 16\ncall g\njmp end\ng: ret 16\nend: nop');
    expect(reg(m, RAX)).toBe(M64);
    expect(reg(m, RSP)).toBe(BigInt(STACK));
  });
  test('loop and jrcxz', () => {
    const m = go('mov ecx, 5\nxor eax, eax\nl: inc eax\nloop l\njrcxz z\nmov eax, 99\nz: nop');
    expect(reg(m, RAX)).toBe(5n);
  });
  test('indirect call through memory and jmp through a register', () => {
    const m = go('lea rax, [rip+t]\nmov [rsp-8], rax\nsub rsp, 8\ncall [rsp]\nadd rsp, 8\njmp done\nt: mov ebx, 7\nret\ndone: nop');
    expect(reg(m, RBX)).toBe(7n);
  });
  test('pushf/popf round trip', () => {
    const m = go('stc\npushfq\npop rax\nor rax, 0x400\npush rax\npopfq');
    expect(flags(m) & (CF | DF)).toBe(CF | DF);
  });
});

describe('string instructions', () => {
  test('rep movsb copies forward, rep stosq fills', () => {
    const m = go('mov rsi, 0x20000\nmov rdi, 0x21000\nmov dword ptr [rsi], 0x44434241\nmov byte ptr [rsi+4], 0x45\nmov ecx, 5\nrep movsb\nmov rdi, 0x22000\nmov rax, -1\nmov ecx, 3\nrep stosq');
    expect(m.mem.read32(0x21000)).toBe(0x44434241);
    expect(m.mem.read8(0x21004)).toBe(0x45);
    expect(reg(m, RCX)).toBe(0n);
    expect(reg(m, RSI)).toBe(0x20005n);
    expect(m.mem.read64(0x22010)).toBe(M64);
    expect(m.mem.read64(0x22018)).toBe(0n);
  });
  test('std makes string operations go backward', () => {
    const m = go('std\nmov rdi, 0x20010\nmov al, 7\nmov ecx, 4\nrep stosb\ncld');
    expect(m.mem.read32(0x2000d)).toBe(0x07070707);
    expect(reg(m, RDI)).toBe(0x2000cn);
    expect(flags(m) & DF).toBe(0);
  });
  test('repne scasb finds a byte; repe cmpsb stops at the first difference', () => {
    const m = go('mov rdi, 0x20000\nmov dword ptr [rdi], 0x00636261\nmov al, 0\nmov rcx, -1\nrepne scasb');
    expect(reg(m, RDI)).toBe(0x20004n);
    expect(reg(m, RCX)).toBe(M64 - 4n);
    const c = go('mov rsi, 0x20000\nmov rdi, 0x21000\nmov dword ptr [rsi], 0x04030201\nmov dword ptr [rdi], 0x04090201\nmov ecx, 4\nrepe cmpsb');
    expect(reg(c, RCX)).toBe(1n);
    expect(status(c) & ZF).toBe(0);
  });
  test('lodsd loads and zero-extends', () => {
    const m = go('mov rsi, 0x20000\nmov dword ptr [rsi], 0x12345678\nmov rax, -1\nlodsd');
    expect(reg(m, RAX)).toBe(0x12345678n);
  });
});

describe('128-bit multiply on 32-bit limbs', () => {
  test('mul128 agrees with BigInt for edge and random operands, signed and unsigned', async () => {
    const { mul128 } = await import('../../emulator/cpu/ops/integer');
    const out = new Uint32Array(4);
    let seed = 0x2545f491;
    const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
    const special = [0, 1, 0xffffffff, 0x80000000, 0x7fffffff];
    for (let k = 0; k < 5000; k++) {
      const v = [0, 1, 2, 3].map((j) => (k < 625 ? special[Math.floor(k / 5 ** j) % 5] : rnd()));
      for (const signed of [false, true]) {
        const a = (BigInt(v[1]) << 32n) | BigInt(v[0]), b = (BigInt(v[3]) << 32n) | BigInt(v[2]);
        const p = BigInt.asUintN(128, signed ? BigInt.asIntN(64, a) * BigInt.asIntN(64, b) : a * b);
        mul128(v[0], v[1], v[2], v[3], signed, out);
        const got = (BigInt(out[3]) << 96n) | (BigInt(out[2]) << 64n) | (BigInt(out[1]) << 32n) | BigInt(out[0]);
        if (got !== p) throw new Error(`mul128 ${signed ? 'signed' : 'unsigned'} ${a.toString(16)} * ${b.toString(16)}: ${got.toString(16)} != ${p.toString(16)}`);
      }
    }
  });
});

describe('undefined results and flags as this machine computes them (docs/cpu.md)', () => {
  test('16-bit SHLD/SHRD with counts above 16 rotate the source, CF = 0', () => {
    const l = run(asm('mov ax, 0x1234\nmov dx, 0xfedc\nmov cl, 17\nshld ax, dx, cl'));
    expect(reg(l, RAX) & 0xffffn).toBe(0xfdb9n);
    expect(status(l) & (CF | OF)).toBe(0);
    const r = run(asm('mov ax, 0x1234\nmov dx, 0xfedc\nmov cl, 17\nshrd ax, dx, cl'));
    expect(reg(r, RAX) & 0xffffn).toBe(0x7f6en);
    expect(status(r) & (CF | OF)).toBe(OF);
  });
  test('BSF/BSR clear CF/OF/SF/AF and set PF from the result', () => {
    expect(status(run(asm('stc\nmov ecx, 0x80\nbsf eax, ecx')))).toBe(0);
    expect(status(run(asm('mov ecx, 8\nbsr eax, ecx')))).toBe(PF);
    expect(status(run(asm('stc\nxor ecx, ecx\nbsf eax, ecx')))).toBe(ZF | PF);
  });
  test('DIV: SF = ZF = PF = 0, AF = 1, CF/OF kept; MUL keeps SF/ZF/AF/PF', () => {
    expect(status(run(asm('xor eax, eax\nstc\nmov eax, 10\nxor edx, edx\nmov ecx, 3\nstc\ndiv ecx')))).toBe(AF | CF);
    expect(status(run(asm('xor eax, eax\nmov eax, 3\nmov ecx, 5\nmul ecx')))).toBe(ZF | PF);
  });
});
