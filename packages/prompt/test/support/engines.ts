import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextEncoderEngine } from '@sdtext/core';
import { OnnxCLIPTextModel } from '@sdtext/onnx';
import { TfjsTextEncoder } from '@sdtext/text-encoder';
import { afterAll } from 'vitest';
import { engineEncoder, type PromptEncoder } from '../../src/index.js';

export const MODELS_DIR = fileURLToPath(new URL('../../../../models/fixtures/models/', import.meta.url));
export type TinyModel = 'sd1-tiny' | 'sd2-tiny';
export type EngineName = 'tfjs' | 'onnx';
/** Every parity test runs on both engines. */
export const ENGINES: readonly EngineName[] = ['tfjs', 'onnx'];

/**
 * A tolerance per engine: about 3x the largest error that engine reached in the suite (both run
 * float32 on the CPU; each test prints its errors). Re-measure before changing one.
 */
export type EngineBound = Record<EngineName, number>;

const loaded: TextEncoderEngine[] = [];
afterAll(async () => {
  await Promise.all(loaded.splice(0).map((e) => e.dispose()));
});

/** A tiny fixture checkpoint (SDXL's CLIP-G stand-in: sd2-tiny text_model_with_projection) on a real engine (tfjs on its cpu backend, or ONNX Runtime), as a PromptEncoder. */
export async function loadEncoder(model: TinyModel, engine: EngineName, variant: 'text_model' | 'text_model_with_projection' = 'text_model'): Promise<PromptEncoder> {
  const dir = path.join(MODELS_DIR, model, variant);
  const e = engine === 'tfjs' ? await TfjsTextEncoder.fromPretrained(dir, { backend: 'cpu' }) : await OnnxCLIPTextModel.fromPretrained(dir);
  loaded.push(e);
  return engineEncoder(e);
}
