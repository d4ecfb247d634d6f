import { PickleMachine, type PickleHooks } from './machine.js';
import { OPCODES, UNSUPPORTED_OPCODES } from './opcodes.js';
import type { PickleValue } from './values.js';

/**
 * Interprets a pickle's opcodes, one loop, no recursion: PyTorch's weights_only unpickler in
 * spirit. Only the data opcodes exist; globals, calls and persistent ids go through `hooks`. Time
 * and memory are bounded by the pickle's length (machine.ts: PICKLE_UNITS_PER_BYTE). `where` names
 * the pickle in errors, which are TorchFileErrors carrying the opcode's offset.
 */
export function unpickle(bytes: Uint8Array, where: string, hooks: PickleHooks): PickleValue {
  return unpickleAt(bytes, 0, where, hooks).value;
}

/**
 * The pickle that starts at `start` of `bytes` (a legacy torch file is several in a row), and
 * where it ends (after its STOP). Offsets in errors are offsets into `bytes`.
 */
export function unpickleAt(bytes: Uint8Array, start: number, where: string, hooks: PickleHooks): { value: PickleValue; end: number } {
  const m = new PickleMachine(bytes, where, hooks, start);
  while (!m.stopped) {
    m.opAt = m.pos;
    if (m.pos >= bytes.length) m.fail('the pickle ends without STOP');
    const code = m.u8();
    const op = OPCODES.get(code);
    if (!op) {
      const name = UNSUPPORTED_OPCODES.get(code);
      return m.fail(`unsupported pickle opcode 0x${code.toString(16).padStart(2, '0')}${name ? ` (${name})` : ''}`);
    }
    op.run(m);
  }
  return { value: m.result, end: m.pos };
}

export type { PickleHooks } from './machine.js';
