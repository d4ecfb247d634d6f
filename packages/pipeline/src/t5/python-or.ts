/** Python's `value or fallback` for diffusers' prompt arguments: None, "" and [] take the fallback. */
export function pyOr<T>(value: T | undefined, fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (Array.isArray(value) && value.length === 0) return fallback;
  return value;
}

/** diffusers' `[x] if isinstance(x, str) else x`, then a list of `batch` when a string is broadcast (negative prompts). */
export function promptsOf(value: string | readonly string[], batch: number | null, name: string): readonly string[] {
  if (typeof value === 'string') return batch === null ? [value] : Array.from({ length: batch }, () => value);
  if (batch !== null && value.length !== batch) {
    throw new Error(`\`${name}\` has batch size ${value.length}, but \`prompt\` has batch size ${batch}. Please make sure that passed \`${name}\` matches the batch size of \`prompt\`.`);
  }
  return value;
}
