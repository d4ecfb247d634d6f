import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the original code returned, or that it raised. */
export type Outcome<T> = { ok: T } | { error: string };

export interface ParserCase {
  prompt: string;
  a1111: {
    attention: Outcome<[string, number][]>;
    /** Every distinct answer webui gave over 8 hash seeds (more than one where its Earley parse is ambiguous). */
    schedules: Record<'10' | '20' | '10+20' | '10+20old', Outcome<[number, string][]>[]>;
    multicond: Outcome<[[number, number][][], string[]]>;
  };
  comfy: Outcome<[string, number | string][]>;
  compel: Outcome<unknown>;
}

export interface Doctest {
  function: string;
  source: string;
  want: string;
  setup?: boolean;
  expected?: unknown;
  actual?: unknown;
}

export interface ParserFixtures {
  doctests: Doctest[];
  cases: ParserCase[];
}

/** Made by scripts/make_parser_fixtures.py from the originals' own code. */
export const PARSER_FIXTURES = JSON.parse(
  fs.readFileSync(fileURLToPath(new URL('./fixtures/parsers.json', import.meta.url)), 'utf8'),
) as ParserFixtures;

/** JSON has no NaN or infinities: the generator writes them as strings. */
export function pyNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  return value === 'nan' ? NaN : value === 'inf' ? Infinity : -Infinity;
}
