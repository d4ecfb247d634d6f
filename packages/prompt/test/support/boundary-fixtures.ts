import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { A1111Emphasis } from '../../src/index.js';
import type { StoredTensor } from './conditioning-fixtures.js';

/**
 * Made by scripts/make_boundary_references.py from webui's and ComfyUI's own code (versions pinned
 * in scripts/originals.py): each rule with an edge, at the edge and one past it.
 */
export const BOUNDARIES = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../fixtures/boundaries.json', import.meta.url)), 'utf8')) as {
  longWords: Record<'7' | '8', string>;
  emptyChunk: { tokens: number[]; multipliers: number[] };
  a1111Chunks: { name: string; text: string; commaPaddingBacktrack: number; emphasis: A1111Emphasis; tokens: number[][]; multipliers: number[][]; tokenCount: number }[];
  a1111Conditioning: { name: string; texts: string[]; emphasis: A1111Emphasis; z: StoredTensor }[];
  emphasis: { name: string; emphasis: A1111Emphasis; multipliers: number[][]; z: StoredTensor; out: StoredTensor }[];
  schedules: { prompt: string; steps: number; hiresSteps: number | null; useOldScheduling: boolean; schedule: [number, string][] }[];
  multicond: { prompt: string; indexes: [number, number][][]; flatList: string[] }[];
  comfy: { name: string; text: string; tokenWeights: [number, number][][]; z?: StoredTensor; pooled?: StoredTensor }[];
};

