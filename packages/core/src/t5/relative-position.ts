import type { T5Config } from './config.js';

/**
 * HF's `T5Attention._relative_position_bucket` for the encoder (bidirectional), one relative
 * position (key position - query position) at a time, in PyTorch's arithmetic: half the buckets
 * per direction; within a direction, distances below max_exact are their own bucket, larger ones
 * share log-spaced buckets up to max_distance. The log-spaced part runs in float32 as torch does
 * (`log(float(n) / max_exact)`, divided by `math.log(max_distance / max_exact)` cast to float32,
 * times an integer) and is truncated toward zero (`.to(torch.long)`): at the distances where the
 * exact value is an integer (16, 32, 64 for 32 buckets) the float32 rounding decides the bucket,
 * so every step is rounded as torch rounds it.
 */
export function relativePositionBucket(relativePosition: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2); // num_buckets //= 2
  const offset = relativePosition > 0 ? half : 0; // (relative_position > 0) * num_buckets
  const n = Math.abs(relativePosition);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return offset + n;
  const logRatio = Math.fround(Math.log(Math.fround(n / maxExact))); // torch.log(relative_position.float() / max_exact)
  const logRange = Math.fround(Math.log(maxDistance / maxExact)); // math.log(...) in float64, a float32 operand
  const scaled = Math.fround(Math.fround(logRatio / logRange) * (half - maxExact));
  const large = maxExact + Math.trunc(scaled); // max_exact + (...).to(torch.long)
  return offset + Math.min(large, half - 1);
}

/**
 * Every relative position from -max_distance to +max_distance and its bucket: index
 * `rel + max_distance`. Positions further apart fall in the last bucket of their direction (the
 * log term is past its range there), so clamping a relative position to [-max_distance,
 * max_distance] and looking it up here gives the bucket for any sequence length: what the ONNX
 * graph gathers from, so ONNX Runtime never evaluates the float32 log itself.
 */
export function relativeBucketTable(config: Pick<T5Config, 'relative_attention_num_buckets' | 'relative_attention_max_distance'>): Int32Array {
  const D = config.relative_attention_max_distance;
  const table = new Int32Array(2 * D + 1);
  for (let rel = -D; rel <= D; rel++) table[rel + D] = relativePositionBucket(rel, config.relative_attention_num_buckets, D);
  return table;
}

/**
 * HF's `compute_bias` indices: the bucket of (key j - query i) for a square [S, S] encoder
 * attention, row-major (query-major). The T5 engines gather `relative_attention_bias` rows with it.
 */
export function relativePositionBuckets(seqLen: number, config: Pick<T5Config, 'relative_attention_num_buckets' | 'relative_attention_max_distance'>): Int32Array {
  const table = relativeBucketTable(config);
  const D = config.relative_attention_max_distance;
  const out = new Int32Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) {
    for (let j = 0; j < seqLen; j++) out[i * seqLen + j] = table[Math.max(-D, Math.min(D, j - i)) + D]!;
  }
  return out;
}
