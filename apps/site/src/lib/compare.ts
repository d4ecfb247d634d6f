// How a cell's live output is held against what the seed printed.

/**
 * exact: the same text.
 * name-or-path: the same but for name_or_path (a local cache folder in the seed's run).
 * prefix: the output starts with the seed's tokenizer part (everything before its encoder output),
 *   once the seed's `device='cuda:0'` is dropped; what follows is the model's numbers, which only
 *   the real SD2 weights reproduce.
 */
export type SeedComparison = 'exact' | 'name-or-path' | 'prefix';

export type Verdict = 'same' | 'same-prefix' | 'differs';

/** The part of the seed's text the live output must reproduce. */
export function expectedFromSeed(seed: string, mode: SeedComparison): string {
  if (mode === 'name-or-path') return seed.replace(/name_or_path='[^']*'/, "name_or_path='…'");
  if (mode === 'prefix') {
    const cut = seed.indexOf("\n{'last_hidden_state'");
    return (cut < 0 ? seed : seed.slice(0, cut)).replace(/,\s*device='cuda:0'/g, '');
  }
  return seed;
}

export function compareWithSeed(output: string, seed: string, mode: SeedComparison): Verdict {
  const expected = expectedFromSeed(seed, mode);
  if (mode === 'prefix') return output.startsWith(expected) ? 'same-prefix' : 'differs';
  const live = mode === 'name-or-path' ? output.replace(/name_or_path='[^']*'/, "name_or_path='…'") : output;
  return live === expected ? 'same' : 'differs';
}
