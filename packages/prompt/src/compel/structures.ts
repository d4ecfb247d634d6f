import { PromptError } from '../errors.js';

// compel's prompt structures (src/compel/prompt_parser.py), as plain data. A parsed prompt is a
// Conjunction of FlattenedPrompts and Blends; a FlattenedPrompt is a list of weighted Fragments
// (and `.swap()` substitutes, which compel uses for cross-attention control).

export interface CompelFragment {
  type: 'Fragment';
  text: string;
  weight: number;
}

/** `(original).swap(edited, options)`: prompt-to-prompt cross-attention control. */
export interface CompelSubstitute {
  type: 'CrossAttentionControlSubstitute';
  original: CompelFragment[];
  edited: CompelFragment[];
  options: Record<string, number | string>;
}

export interface CompelFlattenedPrompt {
  type: 'FlattenedPrompt';
  children: (CompelFragment | CompelSubstitute)[];
}

export interface CompelBlend {
  type: 'Blend';
  prompts: CompelFlattenedPrompt[];
  weights: number[];
  normalize: boolean;
}

export interface CompelLoraWeight {
  type: 'LoraWeight';
  model: string;
  weight: number;
}

export interface CompelConjunction {
  type: 'Conjunction';
  prompts: (CompelFlattenedPrompt | CompelBlend)[];
  weights: number[];
  loras: CompelLoraWeight[];
}

/** What compel raises (ParseException, ParsingException, ValueError, TypeError), by its Python name. */
export class CompelSyntaxError extends PromptError {
  constructor(
    readonly pythonType: string,
    message: string,
  ) {
    super(message);
    this.name = 'CompelSyntaxError';
  }
}

/**
 * compel's Fragment constructor: every time a Fragment is made (parsed, flattened, fused) it turns
 * `\"` `\(` `\)` into `"` `(` `)`. It runs again on text it already unescaped, as compel's does.
 */
export function fragment(text: string, weight: number): CompelFragment {
  if (text.includes('\\') && (text.includes('\\"') || text.includes('\\(') || text.includes('\\)'))) {
    text = text.replaceAll('\\(', '(').replaceAll('\\)', ')').replaceAll('\\"', '"');
  }
  return { type: 'Fragment', text, weight };
}
