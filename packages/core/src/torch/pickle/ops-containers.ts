import type { Opcode } from './opcode.js';
import type { PickleValue } from './values.js';

/** MARK, tuples, lists and dicts. */

export const CONTAINER_OPS: Opcode[] = [
  { code: 0x28, name: 'MARK', run: (m) => m.mark() },
  { code: 0x7d, name: 'EMPTY_DICT', run: (m) => m.push(new Map()) },
  { code: 0x5d, name: 'EMPTY_LIST', run: (m) => m.push([]) },
  { code: 0x29, name: 'EMPTY_TUPLE', run: (m) => m.push(m.tuple([])) },
  { code: 0x74, name: 'TUPLE', run: (m) => m.push(m.tuple(m.popMark())) },
  { code: 0x85, name: 'TUPLE1', run: (m) => m.push(m.tuple([m.pop()])) },
  {
    code: 0x86,
    name: 'TUPLE2',
    run(m) {
      const b = m.pop();
      m.push(m.tuple([m.pop(), b]));
    },
  },
  {
    code: 0x87,
    name: 'TUPLE3',
    run(m) {
      const c = m.pop();
      const b = m.pop();
      m.push(m.tuple([m.pop(), b, c]));
    },
  },
  {
    code: 0x6c,
    name: 'LIST',
    run(m) {
      const items = m.popMark();
      m.charge(items.length);
      m.push(items.map((x) => m.value(x, 'a list element')));
    },
  },
  {
    code: 0x64,
    name: 'DICT',
    run(m) {
      const items = m.popMark();
      m.push(new Map<PickleValue, PickleValue>());
      m.setItems(items, 'DICT');
    },
  },
  { code: 0x61, name: 'APPEND', run: (m) => m.appendItems([m.pop()], 'APPEND') },
  { code: 0x65, name: 'APPENDS', run: (m) => m.appendItems(m.popMark(), 'APPENDS') },
  {
    code: 0x73,
    name: 'SETITEM',
    run(m) {
      const v = m.pop();
      const k = m.pop();
      m.setItems([k, v], 'SETITEM');
    },
  },
  { code: 0x75, name: 'SETITEMS', run: (m) => m.setItems(m.popMark(), 'SETITEMS') },
];
