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
