import type { PickleMachine } from './machine.js';
import type { Opcode } from './opcode.js';
import { PickleGlobal } from './values.js';

/** Globals, calls and persistent ids: each goes through the hooks, which allow only what they know. */

function call(m: PickleMachine, op: string): void {
  const args = m.pop();
  const fn = m.pop();
  if (!(fn instanceof PickleGlobal)) m.fail(`${op} of something that is not an allowed global`);
  if (!m.isTuple(args)) m.fail(`${op} of ${fn.name} without an argument tuple`);
  m.push(m.hooks.call(fn, args, m));
}

export const OBJECT_OPS: Opcode[] = [
  {
    code: 0x63,
    name: 'GLOBAL',
    run(m) {
      const module = m.line();
      m.push(m.hooks.findGlobal(module, m.line(), m));
    },
  },
  {
    code: 0x93,
    name: 'STACK_GLOBAL',
    run(m: PickleMachine) {
      const name = m.pop();
      const module = m.pop();
      if (typeof module !== 'string' || typeof name !== 'string') m.fail('STACK_GLOBAL of non-strings');
      m.push(m.hooks.findGlobal(module, name, m));
    },
  },
  { code: 0x52, name: 'REDUCE', run: (m) => call(m, 'REDUCE') },
  { code: 0x81, name: 'NEWOBJ', run: (m) => call(m, 'NEWOBJ') },
  {
    code: 0x62,
    name: 'BUILD',
    run(m) {
      // The state of an OrderedDict (its _metadata) or a tensor (hooks, attributes): nothing to keep.
      m.pop();
      m.top('BUILD');
    },
  },
  { code: 0x51, name: 'BINPERSID', run: (m) => m.push(m.hooks.persistentLoad(m.pop(), m)) },
];
