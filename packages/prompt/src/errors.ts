/**
 * What the prompt parsers throw for a prompt they refuse: a weight that is not a finite number,
 * brackets nested past `MAX_NESTING_DEPTH`, or syntax the original front end rejects. `position`
 * is the offset (UTF-16 code units) in the prompt as given, where known.
 */
export class PromptError extends Error {
  readonly position: number | undefined;

  constructor(message: string, position?: number) {
    super(position === undefined ? message : `${message} (at position ${position})`);
    this.name = 'PromptError';
    this.position = position;
  }
}

/**
 * The deepest bracket nesting any dialect accepts. Far past real prompts (a dozen levels is
 * already rare), and below where the originals stop: ComfyUI's `token_weights` and webui's lark
 * transformer recurse once per level and hit Python's recursion limit (1000 frames) at a few
 * hundred to a thousand levels, compel's pyparsing well before that. It bounds the parsers' stack
 * and the cost of compounding weights level by level.
 */
export const MAX_NESTING_DEPTH = 256;

/** The error for the bracket that opens level MAX_NESTING_DEPTH + 1. */
export function nestingError(bracket: string, position: number): PromptError {
  return new PromptError(`"${bracket}" opens nesting level ${MAX_NESTING_DEPTH + 1}: prompts may nest brackets at most ${MAX_NESTING_DEPTH} deep`, position);
}

/** The weight itself, or a PromptError naming the piece it belongs to when it is not a finite number. */
export function finiteWeight(weight: number, piece: string, position: number): number {
  if (Number.isFinite(weight)) return weight;
  throw new PromptError(`the weight of ${describePiece(piece)} is ${String(weight)}, not a finite number`, position);
}

/** A piece of prompt text for an error message, cut short when long. */
export function describePiece(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
