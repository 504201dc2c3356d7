import { launched, expectExit } from './harness';
import { Field } from '../../emulator/vmx/fields';
import { checkControls, checkHostState, checkGuestState } from '../../emulator/vmx/entryChecks';
it('bench', () => {
  const { vmx, cpu } = launched(w => w(Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172 | 0x80 | 1 << 24 | 1 << 28));
  const n = 5000;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    vmx.vmresume();
  }
  let dt = performance.now() - t;
  console.log(`${(n / dt * 1000).toFixed(0)} round trips/s`);
  const vmcs = vmx.current!;
  t = performance.now();
  for (let i = 0; i < n; i++) checkControls(vmcs);
  console.log('controls us', (performance.now() - t) / n * 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) checkHostState(vmcs, true);
  console.log('host us', (performance.now() - t) / n * 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) checkGuestState(vmcs, cpu.phys);
  console.log('guest us', (performance.now() - t) / n * 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) { try { vmx.intercept({ kind: 'cpuid' }); } catch {} ; vmx.nonRoot = true; vmx.controls = vmx.controls ?? (undefined as any); }
  console.log('exit us', (performance.now() - t) / n * 1000);
});
