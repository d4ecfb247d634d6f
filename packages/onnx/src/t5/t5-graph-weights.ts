import type { T5Config } from '@sdtext/core/t5';
import type { ExternalFile, GraphBuilder } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import type { StoredLocation } from '../stored-location.js';

/** Where one T5 weight's bytes are for ONNX Runtime, with ComfyUI's scale to multiply by (null: none). */
export interface T5WeightLocation extends StoredLocation {
  scale: number | null;
}

/**
 * A Linear weight quantized at load (dtype 'q8', see quantizeQ8): int8 codes [in, out] and float32
 * scales [out], each in a file (or in-memory file) of its own.
 */
export interface T5Q8Location {
  codes: T5WeightLocation;
  scales: T5WeightLocation;
}

/** The weights of a T5 graph: a location per checkpoint key, and the in-memory files among them. */
export interface T5GraphWeights {
  config: T5Config;
  /** Every weight used as stored (cast to float32 per node), by checkpoint key; a quantized key is not here. */
  locations: ReadonlyMap<string, T5WeightLocation>;
  /** dtype 'q8': the Linear weights quantized at load, by checkpoint key (absent or empty: none, the exact graph). */
  quantized?: ReadonlyMap<string, T5Q8Location>;
  /** In-memory "external files" (onnxruntime-web, or 'memory'); empty when ORT reads files from the model's folder. */
  files: ExternalFile[];
}

/**
 * The float32 value of weight `key` in graph `g`: the initializer in its stored dtype, a Cast to
 * float32 unless it is one, and a Mul by its scale where ComfyUI's scaled fp8 gives one
 * (`weight.to(float32) * scale_weight`, the same float32 product as the reference). The Cast
 * runs per forward pass, so 16-bit weights stay 16-bit in memory; the session must not fold it
 * (see createT5Session).
 */
export function t5Weight(g: GraphBuilder, weights: T5GraphWeights, key: string): string {
  const at = weights.locations.get(key);
  if (!at) throw new Error(`T5 graph: no weight "${key}"`);
  const stored = g.fileWeight(key, at.type, at.shape, at.location, at.offset, at.length);
  const widened = at.type === DataType.FLOAT ? stored : g.op('Cast', [stored], { to: { int: DataType.FLOAT } });
  return at.scale === null ? widened : g.op('Mul', [widened, g.float('scale_weight', at.scale)]);
}

/**
 * The quantized Linear `key` (see T5Q8Location) applied to `x` [N, in]: ONNX Runtime's
 * DynamicQuantizeMatMul (com.microsoft), which quantizes x to uint8 per call, per tensor, runs an
 * integer GEMM and scales the product back to float32 [N, out]. Null when `key` is not quantized.
 */
export function t5QuantizedMatMul(g: GraphBuilder, weights: T5GraphWeights, key: string, x: string): string | null {
  const at = weights.quantized?.get(key);
  if (!at) return null;
  const file = (name: string, w: T5WeightLocation): string => g.fileWeight(name, w.type, w.shape, w.location, w.offset, w.length);
  return g.op('DynamicQuantizeMatMul', [x, file(`${key}.q8`, at.codes), file(`${key}.q8_scale`, at.scales)], {}, { domain: 'com.microsoft' });
}

/** Rows `ids` of the embedding `key`, gathered in the stored dtype and then cast (the table stays as stored). */
export function t5Embedding(g: GraphBuilder, weights: T5GraphWeights, key: string, ids: string): string {
  const at = weights.locations.get(key);
  if (!at) throw new Error(`T5 graph: no weight "${key}"`);
  const stored = g.fileWeight(key, at.type, at.shape, at.location, at.offset, at.length);
  const rows = g.op('Gather', [stored, ids]);
  const widened = at.type === DataType.FLOAT ? rows : g.op('Cast', [rows], { to: { int: DataType.FLOAT } });
  return at.scale === null ? widened : g.op('Mul', [widened, g.float('scale_weight', at.scale)]);
}
