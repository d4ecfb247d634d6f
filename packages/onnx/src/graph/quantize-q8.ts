/**
 * A Linear weight [out, in] as int8 per output channel, symmetric (zero point 0), laid out [in, out]
 * for ONNX Runtime's DynamicQuantizeMatMul: scale[o] = max |W[o, :]| / 127 and
 * q[i, o] = round(W[o, i] / scale[o]). A row of zeros gets scale 1 (all codes 0).
 */
export interface Q8Weight {
  /** [in, out]. */
  codes: Int8Array;
  /** [out]. */
  scales: Float32Array;
}

/**
 * Math.round(x), as floor(x + 0.5): Math.round ran at about 10 ns a call on this VM's V8 (floor at
 * about 1), most of a quantized load's time. x + 0.5 rounds up to the next integer only for the
 * largest double below 0.5; the check puts that one back.
 */
export function roundHalfUp(x: number): number {
  const r = Math.floor(x + 0.5);
  return x < r - 0.5 ? r - 1 : r;
}

export function quantizeQ8(weight: Float32Array, out: number, inp: number): Q8Weight {
  const codes = new Int8Array(out * inp);
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const row = o * inp;
    let max = 0;
    for (let i = 0; i < inp; i++) max = Math.max(max, Math.abs(weight[row + i]!));
    const scale = max > 0 ? max / 127 : 1;
    scales[o] = scale;
    for (let i = 0; i < inp; i++) codes[i * out + o] = Math.max(-127, Math.min(127, roundHalfUp(weight[row + i]! / scale)));
  }
  return { codes, scales };
}

/** An engine's `dtype` option checked: undefined is 'fp32'; anything but 'fp32' or 'q8' is a TypeError. */
export function checkQ8Dtype(dtype: unknown): 'fp32' | 'q8' {
  if (dtype === undefined || dtype === 'fp32' || dtype === 'q8') return dtype ?? 'fp32';
  throw new TypeError(`dtype must be 'fp32' or 'q8', got ${JSON.stringify(dtype)}`);
}
