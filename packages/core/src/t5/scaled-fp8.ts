import type { SafetensorsDtype } from '../safetensors/dtypes.js';
import type { SafetensorsTensorInfo } from '../safetensors/reader.js';

/**
 * ComfyUI's "scaled fp8" checkpoints (`t5xxl_fp8_e4m3fn_scaled.safetensors`), as comfy/ops.py and
 * its text encoder loader read them:
 *
 * - a `scaled_fp8` tensor (empty) marks the file; its dtype is the dtype of every Linear weight
 *   (`override_dtype`: F8_E4M3, or F8_E5M2; a float32 marker means F8_E4M3 in newer ComfyUI, and a
 *   2-element marker only asks for full-precision matmuls);
 * - each Linear may carry `<layer>.scale_weight` (a float32 scalar, default 1): the weight is
 *   `weight.to(float32) * scale_weight` (`scaled_fp8_op.Linear`, `convert_weight`);
 * - `<layer>.scale_input` scales activations only for fp8 matrix multiplication, which ComfyUI's
 *   text encoders never use (`scaled_fp8_ops(fp8_matrix_mult=False)`): it is read past.
 *
 * So the dequantized weights here are exactly the weights ComfyUI computes with in float32.
 * Without the marker, `scale_weight` tensors would be dropped by ComfyUI (wrong weights), so a
 * file with scales and no marker is refused.
 */

export const SCALED_FP8_MARKER = 'scaled_fp8';
export const SCALE_WEIGHT_SUFFIX = '.scale_weight';
export const SCALE_INPUT_SUFFIX = '.scale_input';

export interface ScaledFp8 {
  /** The dtype ComfyUI gives every Linear weight. */
  weightDtype: 'F8_E4M3' | 'F8_E5M2';
}

/** The marker's meaning, or a reason to refuse it. */
export function parseScaledFp8Marker(info: SafetensorsTensorInfo): ScaledFp8 | string {
  const dtype: SafetensorsDtype = info.dtype;
  if (dtype === 'F8_E4M3' || dtype === 'F32') return { weightDtype: 'F8_E4M3' };
  if (dtype === 'F8_E5M2') return { weightDtype: 'F8_E5M2' };
  return `the ComfyUI marker "${SCALED_FP8_MARKER}" has dtype ${dtype}; ComfyUI's scaled fp8 files mark F8_E4M3 or F8_E5M2 weights`;
}

/** Whether `key` is a ComfyUI scale tensor (`.scale_weight` / `.scale_input`), and of which layer. */
export function scaleKeyLayer(key: string): { layer: string; kind: 'weight' | 'input' } | null {
  if (key.endsWith(SCALE_WEIGHT_SUFFIX)) return { layer: key.slice(0, -SCALE_WEIGHT_SUFFIX.length), kind: 'weight' };
  if (key.endsWith(SCALE_INPUT_SUFFIX)) return { layer: key.slice(0, -SCALE_INPUT_SUFFIX.length), kind: 'input' };
  return null;
}

/** A scale must be one number: shape [] or [1] (ComfyUI writes 0-d float32 tensors). */
export function isScalarShape(shape: readonly number[]): boolean {
  return shape.length === 0 || (shape.length === 1 && shape[0] === 1);
}
