import type { PickleMachine } from './machine.js';

/** One pickle opcode: its byte, CPython's name for it, and what it does to the machine. */
export interface Opcode {
  code: number;
  name: string;
  run(m: PickleMachine): void;
}
