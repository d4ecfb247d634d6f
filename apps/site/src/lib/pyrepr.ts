// Python-style printing for the cells, so a JavaScript value prints the way the seed's Python
// printed it: repr() of lists, tuples, dicts and strings, pprint's line breaking, and torch's
// tensor repr (via @sdtext/text-encoder's formatTensor).
import { formatTensor } from '@sdtext/text-encoder';

/** A dense tensor for display: row-major data, a shape and a torch dtype name. */
export class PyTensor {
  constructor(
    readonly data: ArrayLike<number>,
    readonly shape: readonly number[],
    readonly dtype: 'int64' | 'float32' | 'float16' = 'float32',
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  }
}

/** A Python tuple, so `(a, b)` prints with parentheses. */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A name that prints bare, like Python's `True` or a class repr. */
export class PyRaw {
  constructor(readonly text: string) {}
}

/** Nested JS arrays (or a typed array plus shape) to a PyTensor. */
export function tensor(
  value: unknown,
  options: { dtype?: PyTensor['dtype']; shape?: readonly number[] } = {},
): PyTensor {
  if (value instanceof PyTensor) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && options.shape) {
    const data = Array.from(value as unknown as ArrayLike<number>);
    return new PyTensor(data, options.shape, options.dtype ?? 'float32');
  }
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = (Array.isArray(value) ? value.flat(Infinity) : [value]) as number[];
  const dtype = options.dtype ?? (flat.every((v) => Number.isInteger(v)) ? 'int64' : 'float32');
  return new PyTensor(flat, shape, dtype);
}

// ---------------------------------------------------------------------------------------------
// repr

/** Python's repr() of a str: single quotes unless the text has ' and no ". */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a float: shortest round-trip digits; exponent form below 1e-4 or from 1e16. */
export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Python repr() on one line (the shape str() and print() give). */
export function repr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : reprFloat(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return reprString(v);
  if (v instanceof PyRaw) return v.text;
  if (v instanceof PyTensor) return formatTensorRepr(v);
  if (v instanceof PyTuple) {
    const items = v.items.map(repr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return `[${Array.from(v as unknown as ArrayLike<number>).map(repr).join(', ')}]`;
  }
  if (v instanceof Map) {
    return `{${[...v.entries()].map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  }
  if (isDict(v)) return `{${Object.entries(v).map(([k, x]) => `${reprString(k)}: ${repr(x)}`).join(', ')}}`;
  return String(v);
}

/** Python str(): strings bare, everything else repr(). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : repr(v);
}

// ---------------------------------------------------------------------------------------------
// pprint (Lib/pprint.py, sort_dicts=True): a container that does not fit in the remaining width
// puts one item per line, indented to just inside its bracket; other values print with repr().

export function pformat(v: unknown, width = 80): string {
  const out: string[] = [];
  format(v, 0, 0, width, out);
  return out.join('');
}

function format(v: unknown, indent: number, allowance: number, width: number, out: string[]): void {
  const rep = repr(v);
  const fits = rep.length <= width - indent - allowance;
  if (!fits) {
    if (isDict(v) || v instanceof Map) {
      const entries: [string, unknown][] =
        v instanceof Map
          ? [...v.entries()].map(([k, x]) => [repr(k), x])
          : Object.keys(v)
              .sort()
              .map((k) => [reprString(k), v[k]]);
      out.push('{');
      entries.forEach(([key, value], i) => {
        const last = i === entries.length - 1;
        if (i > 0) out.push(',\n' + ' '.repeat(indent + 1));
        out.push(`${key}: `);
        format(value, indent + 1 + key.length + 2, last ? allowance + 1 : 1, width, out);
      });
      out.push('}');
      return;
    }
    const items = Array.isArray(v) ? v : v instanceof PyTuple ? v.items : null;
    if (items && items.length > 0) {
      const [open, close] = Array.isArray(v) ? ['[', ']'] : ['(', items.length === 1 ? ',)' : ')'];
      out.push(open);
      items.forEach((item, i) => {
        const last = i === items.length - 1;
        if (i > 0) out.push(',\n' + ' '.repeat(indent + 1));
        format(item, indent + 1, last ? allowance + 1 : 1, width, out);
      });
      out.push(close);
      return;
    }
  }
  out.push(rep);
}

// ---------------------------------------------------------------------------------------------
// torch tensor repr: @sdtext/text-encoder's formatTensor (torch/_tensor_str.py's layout)

/** torch's repr of a tensor: `tensor([[...]])`, with `dtype=` when it is not the default. */
export function formatTensorRepr(t: PyTensor): string {
  const floating = t.dtype === 'float32' || t.dtype === 'float16';
  const suffixes = t.dtype === 'float16' ? ['dtype=torch.float16'] : [];
  return formatTensor(t.data, t.shape, { kind: floating ? 'float' : 'int', suffixes });
}
