import type { PromptDialect } from '@sdtext/pipeline';
import { UsageError } from './command.js';

/**
 * `--clip-skip`, read in the numbering of the prompt's front end: ComfyUI's CLIPSetLastLayer
 * (-1 = last layer, -2 = penultimate) for `--dialect comfy`, a non-negative count otherwise
 * (diffusers' for plain and compel prompts, webui's "Clip skip" for a1111).
 */
export function parseClipSkip(value: string | undefined, dialect: PromptDialect | null | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (dialect === 'comfy') {
    if (!/^(-[1-9]\d*|0)$/.test(value)) {
      throw new UsageError(`--clip-skip with --dialect comfy is CLIPSetLastLayer's layer, -1 (last) or below (write --clip-skip=-2), got "${value}"`);
    }
  } else if (!/^\d+$/.test(value)) {
    throw new UsageError(`--clip-skip must be a non-negative integer, got "${value}"`);
  }
  return Number(value);
}
