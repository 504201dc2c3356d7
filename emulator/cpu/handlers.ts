// The interpreter's handler registry: every `handler` name used by decoder/opcodeTable.ts
// maps to one function here. Cpu binds rows to functions once at construction.

import type { Cpu } from './cpu';
import type { DecodedInsn } from '../decoder/decoder';
import { INTEGER_HANDLERS } from './ops/integer';
import { CONTROL_HANDLERS } from './ops/control';
import { STRING_HANDLERS } from './ops/string';
import { IO_HANDLERS } from './ops/io';
import { SYSTEM_HANDLERS } from './ops/system';
import { VMX_HANDLERS } from './ops/vmxOps';

export type Handler = (c: Cpu, i: DecodedInsn) => void;

export const HANDLERS: Record<string, Handler> = {
  ...INTEGER_HANDLERS, ...CONTROL_HANDLERS, ...STRING_HANDLERS, ...IO_HANDLERS, ...SYSTEM_HANDLERS, ...VMX_HANDLERS,
};
