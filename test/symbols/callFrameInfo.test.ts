// CFI against objdump's interpretation of .debug_frame/.eh_frame: the same FDEs, and at every
// row the same CFA rule and register rules.

import { DebugInfo } from '../../debug-adapter/symbols';
import { checkCfi } from './staticChecks';
import { compile, type Variant } from './toolchain';

describe.each([
  ['sampleFlags', '.debug_frame'],
  ['ehFrame', '.eh_frame'],
  ['optimized', '.eh_frame'],
] as Array<[Variant, '.eh_frame' | '.debug_frame']>)('call frame information (%s build)', (variant, section) => {
  it(`has objdump's FDEs and rows from ${section}`, () => {
    const elf = compile(variant);
    checkCfi(elf, DebugInfo.load(elf), section);
  });
});
