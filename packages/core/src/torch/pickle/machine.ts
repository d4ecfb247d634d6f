import { TorchFileError } from '../errors.js';
import { decodeUtf8, shorten } from './text.js';
import { PickleObject, type Item, type PickleGlobal, type PickleValue } from './values.js';

/** What a pickle may call: the only way a GLOBAL, REDUCE / NEWOBJ or BINPERSID does anything. */
export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL: the allowed global (or the data a class stands for), or `m.fail(...)`. */
  findGlobal(module: string, name: string, m: PickleMachine): Item;
  /** REDUCE / NEWOBJ of an allowed global with its argument tuple. */
  call(fn: PickleGlobal, args: Item[], m: PickleMachine): Item;
  /** BINPERSID: what a persistent id (torch: a storage) stands for. */
  persistentLoad(pid: Item, m: PickleMachine): Item;
}

/**
 * Units of work and memory a pickle may spend per byte of itself. Every opcode is at least one byte
 * and creates O(1) objects, so a real pickle spends at most ~2 units per byte (a stack slot, an
 * element, a character each); what could cost more (`_codecs.encode` of one memoized string again
 * and again, one shape tuple used by many tensors) is charged too, and refused past this.
 */
export const PICKLE_UNITS_PER_BYTE = 4;
const PICKLE_UNITS_BASE = 4096;

/**
 * The state of a pickle being read, as CPython's Unpickler keeps it: the stack, the stack of stacks
 * MARK saved (`metastack`), and the memo, whose entries are shared by reference, never copied.
 * Opcode handlers (ops-*.ts) work through it; every error names the file and the opcode's offset.
 */
export class PickleMachine {
  pos = 0;
  /** Offset of the opcode being run, for messages. */
  opAt = 0;
  stack: Item[] = [];
  readonly metastack: Item[][] = [];
  readonly memo = new Map<number, Item>();
  stopped = false;
  result: PickleValue = null;
  private readonly view: DataView;
  private readonly tuples = new WeakSet<Item[]>();
  /** Tuples holding a PickleObject (directly or in a nested tuple): kept out of lists and dicts. */
  private readonly objectTuples = new WeakSet<Item[]>();
  private spent = 0;
  private readonly budget: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
    readonly hooks: PickleHooks,
    start = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.budget = PICKLE_UNITS_PER_BYTE * (bytes.length - start) + PICKLE_UNITS_BASE;
  }

  fail(message: string): never {
    throw new TorchFileError(`${this.where}: ${message} (pickle opcode at offset ${this.opAt})`);
  }

  /** Spends `units` of the pickle's budget (objects, elements, characters). */
  charge(units: number): void {
    this.spent += units;
    if (this.spent > this.budget) {
      this.fail(`the pickle builds more than ${this.budget} objects, elements and bytes from its ${this.bytes.length} bytes (${PICKLE_UNITS_PER_BYTE} per byte): refused`);
    }
  }

  // --- reading the opcode's arguments ------------------------------------------------------------

  /** The offset of the next `n` bytes, which are consumed; fails if the pickle ends first. */
  take(n: number): number {
    if (n > this.bytes.length - this.pos) this.fail(`the pickle ends early: ${n} bytes wanted at offset ${this.pos}, ${this.bytes.length - this.pos} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.bytes[this.take(1)]!;
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  /** A u64 length: exact up to 2^53, and anything larger is past the end of any pickle anyway. */
  u64(): number {
    return Number(this.view.getBigUint64(this.take(8), true));
  }
  f64be(): number {
    return this.view.getFloat64(this.take(8), false);
  }
  /** `n` bytes (a view: copy before keeping). */
  raw(n: number): Uint8Array {
    const at = this.take(n);
    this.charge(n);
    return this.bytes.subarray(at, at + n);
  }
  text(n: number, surrogates: boolean): string {
    const s = decodeUtf8(this.raw(n), surrogates);
    return s ?? this.fail(`a ${n}-byte string that is not valid UTF-8`);
  }
  /** A newline-terminated UTF-8 line (GLOBAL's module and name). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('a GLOBAL line without its newline');
    const s = this.text(end - this.pos, false);
    this.pos = end + 1;
    return s;
  }

  // --- the stack ----------------------------------------------------------------------------------

  push(x: Item): void {
    this.charge(1);
    this.stack.push(x);
  }
  pop(): Item {
    if (this.stack.length === 0) this.fail(this.metastack.length > 0 ? 'stack underflow (nothing after the MARK)' : 'stack underflow');
    return this.stack.pop()!;
  }
  top(what: string): Item {
    if (this.stack.length === 0) this.fail(`${what} with nothing on the stack`);
    return this.stack[this.stack.length - 1]!;
  }
  mark(): void {
    this.charge(1);
    this.metastack.push(this.stack);
    this.stack = [];
  }
  /** The items pushed since the last MARK (that stack frame is closed). */
  popMark(): Item[] {
    const outer = this.metastack.pop();
    if (outer === undefined) this.fail('no MARK on the stack');
    const items = this.stack;
    this.stack = outer;
    return items;
  }

  // --- values ---------------------------------------------------------------------------------------

  /** A tuple of `items` (immutable: APPEND and SETITEM refuse it). */
  tuple(items: Item[]): Item[] {
    this.charge(items.length);
    this.tuples.add(items);
    if (items.some((x) => x instanceof PickleObject || (Array.isArray(x) && this.objectTuples.has(x)))) this.objectTuples.add(items);
    return items;
  }
  isTuple(x: Item): x is Item[] {
    return Array.isArray(x) && this.tuples.has(x);
  }
  /** `x` as data (a list element, a dict value, the result): not a global, a storage, or a tuple holding one. */
  value(x: Item, what: string): PickleValue {
    if (x instanceof PickleObject) this.fail(`${what} is a ${shorten(x.describe())}, not data`);
    if (Array.isArray(x) && this.objectTuples.has(x)) this.fail(`${what} is a tuple holding a global or storage, not data`);
    return x as PickleValue;
  }
  /** A dict key: data, and hashable in Python (not a list or dict). */
  key(x: Item): PickleValue {
    const k = this.value(x, 'a dict key');
    if (k instanceof Map || (Array.isArray(k) && !this.tuples.has(k))) this.fail(`a dict key that is a ${k instanceof Map ? 'dict' : 'list'} (unhashable)`);
    return k;
  }
  /** Sets `items` (key, value, key, value...) in the dict at the top of the stack. */
  setItems(items: Item[], op: string): void {
    const dict = this.top(op);
    if (!(dict instanceof Map)) this.fail(`${op} on something that is not a dict`);
    if (items.length % 2 !== 0) this.fail(`${op} with an odd number of items (${items.length})`);
    this.charge(items.length);
    for (let i = 0; i < items.length; i += 2) dict.set(this.key(items[i]!), this.value(items[i + 1]!, 'a dict value'));
  }
  /** Appends `items` to the list at the top of the stack. */
  appendItems(items: Item[], op: string): void {
    const list = this.top(op);
    if (!Array.isArray(list)) this.fail(`${op} to something that is not a list`);
    if (this.isTuple(list)) this.fail(`${op} to a tuple`);
    this.charge(items.length);
    // One at a time: push(...items) overflows the stack for a few hundred thousand items.
    for (const item of items) (list as PickleValue[]).push(this.value(item, 'a list element'));
  }
}
