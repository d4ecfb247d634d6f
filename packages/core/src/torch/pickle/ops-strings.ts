import type { Opcode } from './opcode.js';

/** str and bytes. Lengths are checked against what is left of the pickle before anything is read. */

export const STRING_OPS: Opcode[] = [
  { code: 0x58, name: 'BINUNICODE', run: (m) => m.push(m.text(m.u32(), true)) },
  { code: 0x8c, name: 'SHORT_BINUNICODE', run: (m) => m.push(m.text(m.u8(), true)) },
  { code: 0x8d, name: 'BINUNICODE8', run: (m) => m.push(m.text(m.u64(), true)) },
  // Python 2 str: torch.load decodes them as UTF-8.
  { code: 0x54, name: 'BINSTRING', run: (m) => m.push(m.text(m.u32(), false)) },
  { code: 0x55, name: 'SHORT_BINSTRING', run: (m) => m.push(m.text(m.u8(), false)) },
  { code: 0x42, name: 'BINBYTES', run: (m) => m.push(m.raw(m.u32()).slice()) },
  { code: 0x43, name: 'SHORT_BINBYTES', run: (m) => m.push(m.raw(m.u8()).slice()) },
];
