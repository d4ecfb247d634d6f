import type { Opcode } from './opcode.js';

/** Protocol header, frames and the end. */

const HIGHEST_PROTOCOL = 5;

export const FRAMING_OPS: Opcode[] = [
  {
    code: 0x80,
    name: 'PROTO',
    run(m) {
      const version = m.u8();
      if (version > HIGHEST_PROTOCOL) m.fail(`unsupported pickle protocol ${version}`);
    },
  },
  // A frame's length only helps a reader that buffers: the opcodes inside follow inline.
  { code: 0x95, name: 'FRAME', run: (m) => void m.take(8) },
  {
    code: 0x2e,
    name: 'STOP',
    run(m) {
      if (m.metastack.length > 0) m.fail(`STOP inside a MARK (${m.metastack.length} open)`);
      if (m.stack.length !== 1) m.fail(`STOP with ${m.stack.length} items on the stack`);
      m.result = m.value(m.stack[0]!, 'the result');
      m.stopped = true;
    },
  },
];
