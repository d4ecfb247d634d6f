import type { PickleMachine } from './machine.js';
import type { Opcode } from './opcode.js';

/** The memo: PUT keeps a reference to the top of the stack, GET pushes that same object again (never a copy). */

const put = (m: PickleMachine, index: number): void => void m.memo.set(index, m.top('a memo PUT'));

function get(m: PickleMachine, index: number): void {
  const x = m.memo.get(index);
  if (x === undefined) m.fail(`memo ${index} is not set`);
  m.push(x);
}

export const MEMO_OPS: Opcode[] = [
  { code: 0x71, name: 'BINPUT', run: (m) => put(m, m.u8()) },
  { code: 0x72, name: 'LONG_BINPUT', run: (m) => put(m, m.u32()) },
  { code: 0x94, name: 'MEMOIZE', run: (m) => put(m, m.memo.size) },
  { code: 0x68, name: 'BINGET', run: (m) => get(m, m.u8()) },
  { code: 0x6a, name: 'LONG_BINGET', run: (m) => get(m, m.u32()) },
];
