import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StoredTensor {
  dims: number[];
  base64: string;
}

export interface A1111Reference {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  texts: string[];
  clipSkip: number;
  padTokenId: number | null;
  chunkTokens: number[][][];
  chunkMultipliers: number[][][];
  z: StoredTensor;
  pooled: StoredTensor;
}

export interface ComfyReference {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  text: string;
  layerIdx: number | null;
  padWithEnd: boolean;
  tokenWeights: [number, number][][];
  z: StoredTensor;
  pooled: StoredTensor;
}

export interface MulticondReference {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  prompt: string;
  steps: number;
  parts: { weight: number; schedule: { endAtStep: number; cond: StoredTensor }[] }[];
}

/** Made by scripts/make_conditioning_references.py from webui's and ComfyUI's own code. */
export const CONDITIONING = JSON.parse(
  fs.readFileSync(fileURLToPath(new URL('../fixtures/conditioning.json', import.meta.url)), 'utf8'),
) as { a1111: A1111Reference[]; a1111Multicond: MulticondReference[]; comfy: ComfyReference[] };
