import { CONTAINER_OPS } from './ops-containers.js';
import { FRAMING_OPS } from './ops-framing.js';
import { MEMO_OPS } from './ops-memo.js';
import { OBJECT_OPS } from './ops-objects.js';
import { SCALAR_OPS } from './ops-scalars.js';
import { STRING_OPS } from './ops-strings.js';
import type { Opcode } from './opcode.js';

/** The opcodes read, by byte: those torch.save writes and PyTorch's weights_only loader reads. */
export const OPCODES: ReadonlyMap<number, Opcode> = new Map(
  [...FRAMING_OPS, ...SCALAR_OPS, ...STRING_OPS, ...CONTAINER_OPS, ...MEMO_OPS, ...OBJECT_OPS].map((op) => [op.code, op]),
);

/** The other opcodes of the pickle protocol, named in the refusal. */
export const UNSUPPORTED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x30, 'POP'],
  [0x31, 'POP_MARK'],
  [0x32, 'DUP'],
  [0x46, 'FLOAT'],
  [0x49, 'INT'],
  [0x4c, 'LONG'],
  [0x50, 'PERSID'],
  [0x53, 'STRING'],
  [0x56, 'UNICODE'],
  [0x67, 'GET'],
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x70, 'PUT'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x8b, 'LONG4'],
  [0x8e, 'BINBYTES8'],
  [0x8f, 'EMPTY_SET'],
  [0x90, 'ADDITEMS'],
  [0x91, 'FROZENSET'],
  [0x92, 'NEWOBJ_EX'],
  [0x96, 'BYTEARRAY8'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
]);
