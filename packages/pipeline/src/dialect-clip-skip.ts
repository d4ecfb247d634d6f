import type { PromptDialect } from './dialect-prompt.js';

/** What decides how a front end reads clip skip on an SD 1.x/2.x model. */
export interface ClipSkipModel {
  /** SD 2.x: OpenCLIP-H, padded with 0 (webui's FrozenOpenCLIPEmbedder; ComfyUI's SD2ClipHModel). */
  openClip: boolean;
  /** The encoder's layers as loaded (diffusers' SD 2.x layout has OpenCLIP's last block dropped). */
  layers: number;
}

/**
 * The layer a dialect's `clipSkip` selects on SD 1.x/2.x, as @sdtext/prompt counts it (1: the last
 * hidden state; n: hidden_states[-n] through the final LayerNorm), reading the number as that front
 * end writes it:
 * - a1111: webui's "Clip skip" (1 = the last layer, 2 = the penultimate; 0 reads as 1, as webui's
 *   code does). SD 2.x ignores it: webui's OpenCLIP embedder always takes the penultimate layer of
 *   OpenCLIP (the last of the diffusers layout), so another value only warns.
 * - comfy: CLIPSetLastLayer's stop_at_clip_layer (-1 = the last layer, -2 the penultimate;
 *   undefined or 0: no CLIPSetLastLayer, the model's default). ComfyUI counts SD 2.x's layers on
 *   OpenCLIP's whole tower: its default is -2 (the diffusers layout's last layer), -n is the
 *   layout's hidden_states[-(n - 1)], and -1 needs the block the layout dropped. A layer beyond
 *   the model is ComfyUI's "last" (SD 1.x).
 * - compel: diffusers' numbering (0 = the last layer, 1 = PENULTIMATE_HIDDEN_STATES_NORMALIZED).
 */
export function dialectClipSkip(dialect: PromptDialect, clipSkip: number | undefined, model: ClipSkipModel, warn: (message: string) => void): number {
  const limit = model.layers + 1;
  if (dialect === 'a1111') {
    const n = clipSkip ?? 1;
    if (!Number.isInteger(n) || n < 0) throw new Error(`clipSkip in the a1111 dialect is webui's Clip skip (1 = last layer), got ${n}`);
    if (model.openClip) {
      if (n > 1) warn(`webui ignores Clip skip ${n} on SD 2.x (its OpenCLIP embedder always takes the penultimate layer): encoded as webui does`);
      return 1;
    }
    if (n > limit) throw new Error(`Clip skip ${n} reaches past the embeddings: the encoder has ${model.layers} layers`);
    return Math.max(n, 1);
  }
  if (dialect === 'comfy') {
    if (clipSkip === undefined || clipSkip === 0) return 1;
    if (!Number.isInteger(clipSkip) || clipSkip > 0) {
      throw new Error(`clipSkip in the comfy dialect is CLIPSetLastLayer's stop_at_clip_layer (-1 = last layer, -2 = penultimate), got ${clipSkip}`);
    }
    const k = -clipSkip;
    if (!model.openClip) return k > model.layers ? 1 : k; // SDClipModel: |layer| past num_layers is "last"
    if (k === 1 || k > limit) {
      throw new Error(
        `CLIPSetLastLayer(${clipSkip}) on SD 2.x needs OpenCLIP's ${k === 1 ? 'last block' : `layer ${clipSkip}`}, which this model does not have: ` +
          `diffusers' layout drops the last block (the encoder has ${model.layers} layers; ComfyUI's default is -2)`,
      );
    }
    return k - 1;
  }
  const k = clipSkip ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new Error(`clipSkip in the compel dialect is diffusers' (0 = last layer), got ${k}`);
  if (k + 1 > limit) throw new Error(`clipSkip ${k} reaches past the embeddings: the encoder has ${model.layers} layers`);
  return k + 1;
}
