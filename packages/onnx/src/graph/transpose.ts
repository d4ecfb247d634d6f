/** [rows, cols] -> [cols, rows], in cache-sized tiles. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    for (let c0 = 0; c0 < cols; c0 += T) {
      const rEnd = Math.min(r0 + T, rows);
      const cEnd = Math.min(c0 + T, cols);
      for (let r = r0; r < rEnd; r++) for (let c = c0; c < cEnd; c++) out[c * rows + r] = data[r * cols + c]!;
    }
  }
  return out;
}
