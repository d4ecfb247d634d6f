import type { ArrayTensor } from './embeddings.js';

/**
 * torch's `x.repeat(1, n, 1).view(B * n, ...)` on plain arrays: each row repeated n times in place
 * ([a, a, b, b]). With n = 1 the array itself is returned.
 */
export function repeatRows(x: ArrayTensor, n: number): ArrayTensor {
  if (n === 1) return x;
  const [b, ...rest] = x.shape;
  const rowSize = x.data.length / b!;
  const data = new Float32Array(x.data.length * n);
  for (let r = 0; r < b!; r++) {
    const row = x.data.subarray(r * rowSize, (r + 1) * rowSize);
    for (let k = 0; k < n; k++) data.set(row, (r * n + k) * rowSize);
  }
  return { data, shape: [b! * n, ...rest] };
}

/** `torch.concat([a, b], dim=-1)`: [..., Ha] and [..., Hb] (same leading dims) -> [..., Ha + Hb]. */
export function concatLastAxis(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
  const ha = a.shape.at(-1)!;
  const hb = b.shape.at(-1)!;
  const rows = a.data.length / ha;
  const data = new Float32Array(rows * (ha + hb));
  for (let r = 0; r < rows; r++) {
    data.set(a.data.subarray(r * ha, (r + 1) * ha), r * (ha + hb));
    data.set(b.data.subarray(r * hb, (r + 1) * hb), r * (ha + hb) + ha);
  }
  return { data, shape: [...a.shape.slice(0, -1), ha + hb] };
}

export function zerosLike(x: ArrayTensor): ArrayTensor {
  return { data: new Float32Array(x.data.length), shape: [...x.shape] };
}

/** `torch.nn.functional.pad(x, (0, width - W))` on the last axis: zero columns on the right (columns cut off when width < W, as torch does). */
export function padLastAxis(x: ArrayTensor, width: number): ArrayTensor {
  const from = x.shape.at(-1)!;
  if (from === width) return x;
  const rows = x.data.length / from;
  const keep = Math.min(from, width);
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) data.set(x.data.subarray(r * from, r * from + keep), r * width);
  return { data, shape: [...x.shape.slice(0, -1), width] };
}

/** `torch.cat([a, b], dim=-2)` for [B, Sa, W] and [B, Sb, W] -> [B, Sa + Sb, W]. */
export function concatSequence(a: ArrayTensor, b: ArrayTensor): ArrayTensor {
  const [batch, sa, width] = a.shape as [number, number, number];
  const [bb, sb, wb] = b.shape as [number, number, number];
  if (batch !== bb || width !== wb) throw new Error(`cannot join [${a.shape.join(', ')}] and [${b.shape.join(', ')}] along the sequence`);
  const data = new Float32Array(batch * (sa + sb) * width);
  for (let r = 0; r < batch; r++) {
    data.set(a.data.subarray(r * sa * width, (r + 1) * sa * width), r * (sa + sb) * width);
    data.set(b.data.subarray(r * sb * width, (r + 1) * sb * width), (r * (sa + sb) + sa) * width);
  }
  return { data, shape: [batch, sa + sb, width] };
}

export function zeros(shape: number[]): ArrayTensor {
  return { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
}

/** Rows of [B, ...] tensors one after the other: [B1 + B2 + ..., ...]. */
export function stackRows(rows: readonly ArrayTensor[]): ArrayTensor {
  const data = new Float32Array(rows.reduce((n, r) => n + r.data.length, 0));
  rows.reduce((at, r) => (data.set(r.data, at), at + r.data.length), 0);
  return { data, shape: [rows.reduce((n, r) => n + r.shape[0]!, 0), ...rows[0]!.shape.slice(1)] };
}
