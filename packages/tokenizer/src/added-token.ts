/**
 * A token matched in the raw text before any cleaning or BPE, as Hugging Face's `AddedToken`.
 * Special tokens (`<|startoftext|>`, `<|endoftext|>`, SD2's pad "!") and tokens added later
 * (textual inversion) are all added tokens.
 */
export interface AddedToken {
  readonly content: string;
  readonly special: boolean;
  /** Eat the whitespace on the token's left. */
  readonly lstrip: boolean;
  /** Eat the whitespace on the token's right. */
  readonly rstrip: boolean;
  /** Match only as a whole word. */
  readonly singleWord: boolean;
  readonly normalized: boolean;
}

/** How a special token was written in tokenizer_config.json: a plain string or an AddedToken object. */
export type TokenSpec = string | AddedToken;

export function addedToken(content: string, options: Partial<Omit<AddedToken, 'content'>> = {}): AddedToken {
  return {
    content,
    special: options.special ?? false,
    lstrip: options.lstrip ?? false,
    rstrip: options.rstrip ?? false,
    singleWord: options.singleWord ?? false,
    normalized: options.normalized ?? !(options.special ?? false),
  };
}

export function tokenContent(spec: TokenSpec): string {
  return typeof spec === 'string' ? spec : spec.content;
}

/** Python's repr, as transformers prints special tokens: `AddedToken("x", rstrip=False, ...)` or `'x'`. */
export function reprTokenSpec(spec: TokenSpec): string {
  if (typeof spec === 'string') return pythonStringRepr(spec);
  const flag = (b: boolean) => (b ? 'True' : 'False');
  return (
    `AddedToken(${JSON.stringify(spec.content)}, rstrip=${flag(spec.rstrip)}, lstrip=${flag(spec.lstrip)}, ` +
    `single_word=${flag(spec.singleWord)}, normalized=${flag(spec.normalized)})`
  );
}

/** Python's repr of a str, for the printable strings tokenizer summaries hold. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`);
  return quote + escaped + quote;
}
