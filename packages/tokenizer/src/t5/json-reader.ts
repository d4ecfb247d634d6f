export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Typed access to a parsed JSON document that fails with the file and the path of the bad value:
 * `tokenizer.json: model.vocab[12]: expected [piece, score]`.
 */
export class JsonReader {
  constructor(
    readonly file: string,
    readonly value: Json | undefined,
    readonly path: string,
  ) {}

  static parse(text: string, file: string): JsonReader {
    if (typeof text !== 'string') throw new TypeError(`${file}: expected the file's text, got ${typeof text}`);
    try {
      return new JsonReader(file, JSON.parse(text) as Json, '');
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
    }
  }

  fail(what: string): never {
    throw new Error(`${this.file}: ${this.path || '(top level)'}: ${what}`);
  }

  get(key: string): JsonReader {
    return new JsonReader(this.file, this.object()[key], this.path ? `${this.path}.${key}` : key);
  }

  has(key: string): boolean {
    const value = this.object()[key];
    return value !== undefined && value !== null;
  }

  isNull(): boolean {
    return this.value === null || this.value === undefined;
  }

  object(): JsonObject {
    const value = this.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`expected an object, got ${kind(value)}`);
    return value as JsonObject;
  }

  array(): JsonReader[] {
    if (!Array.isArray(this.value)) this.fail(`expected an array, got ${kind(this.value)}`);
    return (this.value as Json[]).map((item, i) => new JsonReader(this.file, item, `${this.path}[${i}]`));
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail(`expected a string, got ${kind(this.value)}`);
    return this.value as string;
  }

  number(): number {
    if (typeof this.value !== 'number') this.fail(`expected a number, got ${kind(this.value)}`);
    return this.value as number;
  }

  integer(): number {
    const n = this.number();
    if (!Number.isInteger(n) || n < 0) this.fail(`expected a non-negative integer, got ${n}`);
    return n;
  }

  boolean(fallback?: boolean): boolean {
    if (this.value === undefined && fallback !== undefined) return fallback;
    if (typeof this.value !== 'boolean') this.fail(`expected true or false, got ${kind(this.value)}`);
    return this.value as boolean;
  }

  /** The `type` field of a tagged component, checked against the supported ones. */
  type(what: string, supported: readonly string[]): string {
    const type = this.get('type').string();
    if (!supported.includes(type)) {
      this.fail(`${what} "${type}" is not supported (supported: ${supported.join(', ')})`);
    }
    return type;
  }
}

function kind(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}
