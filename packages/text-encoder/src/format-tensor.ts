/**
 * Prints a tensor the way PyTorch's `repr` does (torch/_tensor_str.py, default print options:
 * precision 4, threshold 1000, edgeitems 3, linewidth 80), so outputs read like the seed tutorial's:
 *
 *   tensor([[[-0.3135, -0.4475, -0.0083,  ...,  0.2544, -0.0327, -0.2959],
 */
const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

export interface FormatTensorOptions {
  /** 'int' prints integers (token ids, masks); default: 'float'. */
  kind?: 'float' | 'int';
  /** Text after the data, e.g. `dtype=torch.float16` -> `tensor([...], dtype=torch.float16)`. */
  suffixes?: readonly string[];
}

export function formatTensor(data: ArrayLike<number>, shape: readonly number[], options: FormatTensorOptions = {}): string {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`formatTensor: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  const summarize = size > THRESHOLD;
  const formatValue = valueFormatter(summarizedValues(data, shape, summarize), options.kind ?? 'float');
  const prefix = 'tensor(';
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

  const render = (offset: number, dim: number, indent: number): string => {
    if (shape.length === 0) return formatValue.format(data[0]!);
    const n = shape[dim]!;
    const picked = summarize && n > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), -1, ...range(n - EDGE_ITEMS, n)] : range(0, n);
    if (dim === shape.length - 1) {
      const items = picked.map((i) => (i < 0 ? ' ...' : formatValue.format(data[offset + i]!)));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (formatValue.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
    }
    const slices = picked.map((i) => (i < 0 ? '...' : render(offset + i * strides[dim]!, dim + 1, indent + 1)));
    const newlines = '\n'.repeat(shape.length - dim - 1);
    return '[' + slices.join(',' + newlines + ' '.repeat(indent + 1)) + ']';
  };

  // PyTorch's _add_suffixes: a suffix goes on the last line while it fits in the line width.
  let text = prefix + render(0, 0, prefix.length);
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of options.suffixes ?? []) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      text += ',\n' + ' '.repeat(prefix.length) + suffix;
      lastLineLength = prefix.length + suffix.length;
    } else {
      text += ', ' + suffix;
      lastLineLength += suffix.length + 2;
    }
  }
  return text + ')';
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

/** The values PyTorch looks at to choose a format: only the printed ones when summarizing. */
function summarizedValues(data: ArrayLike<number>, shape: readonly number[], summarize: boolean): number[] {
  if (!summarize) return Array.from(data);
  const values: number[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const walk = (offset: number, dim: number): void => {
    if (dim === shape.length) {
      values.push(data[offset]!);
      return;
    }
    const n = shape[dim]!;
    const picked = n > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), ...range(n - EDGE_ITEMS, n)] : range(0, n);
    for (const i of picked) walk(offset + i * strides[dim]!, dim + 1);
  };
  walk(0, 0);
  return values;
}

/** PyTorch's _Formatter: fixed or scientific notation, every value padded to one width. */
function valueFormatter(values: readonly number[], kind: 'float' | 'int'): { width: number; format: (v: number) => string } {
  let raw: (v: number) => string;
  const finite = values.filter((v) => Number.isFinite(v));
  if (kind === 'int') {
    raw = (v) => String(v);
  } else if (finite.length > 0 && finite.every((v) => Number.isInteger(v))) {
    // Whole floats print as "1." (or in scientific form when huge), as PyTorch's int_mode.
    const max = Math.max(...finite.map(Math.abs));
    raw = max > 1e8 ? (v) => pyExponential(v) : (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : pySpecial(v));
  } else {
    const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
    const max = nonzero.length ? Math.max(...nonzero) : 0;
    const min = nonzero.length ? Math.min(...nonzero) : 0;
    const scientific = nonzero.length > 0 && (max / min > 1000 || max > 1e8 || min < 1e-4);
    raw = scientific ? (v) => pyExponential(v) : (v) => (Number.isFinite(v) ? v.toFixed(PRECISION) : pySpecial(v));
  }
  const width = Math.max(1, ...values.map((v) => raw(v).length));
  return { width, format: (v) => raw(v).padStart(width) };
}

function pySpecial(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** Python's `'{:.4e}'`: two-digit exponent at least (1.0000e-05). */
function pyExponential(v: number): string {
  if (!Number.isFinite(v)) return pySpecial(v);
  const [mantissa, exponent] = v.toExponential(PRECISION).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}
