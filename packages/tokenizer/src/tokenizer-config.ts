import { addedToken, type TokenSpec } from './added-token.js';
import { BOS_TOKEN, EOS_TOKEN } from './vocabulary.js';

/** The special tokens and limits of a Hugging Face tokenizer folder, merged as HF merges them. */
export interface TokenizerSettings {
  readonly bosToken: TokenSpec;
  readonly eosToken: TokenSpec;
  readonly unkToken: TokenSpec;
  readonly padToken: TokenSpec;
  readonly modelMaxLength: number;
  /** Tokens from tokenizer_config.json's `added_tokens_decoder` and added_tokens.json, by id. */
  readonly addedTokens: ReadonlyArray<{ readonly content: string; readonly id: number; readonly special: boolean }>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function asObject(value: Json | undefined, where: string): { [key: string]: Json } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a JSON object`);
  }
  return value;
}

export function parseJsonFile(text: string, file: string): { [key: string]: Json } {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return asObject(value, file);
}

/** A special token as written in a config: a string, or an AddedToken object (with or without `__type`). */
function parseTokenSpec(value: Json | undefined, where: string): TokenSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const spec = asObject(value, where);
  if (typeof spec.content !== 'string') throw new Error(`${where}.content: expected a string`);
  const flag = (name: string, fallback: boolean): boolean => {
    const v = spec[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new Error(`${where}.${name}: expected true or false`);
    return v;
  };
  return addedToken(spec.content, {
    special: true,
    lstrip: flag('lstrip', false),
    rstrip: flag('rstrip', false),
    singleWord: flag('single_word', false),
    normalized: flag('normalized', true),
  });
}

const SPECIAL_KEYS = [
  ['bos_token', 'bosToken', BOS_TOKEN],
  ['eos_token', 'eosToken', EOS_TOKEN],
  ['unk_token', 'unkToken', EOS_TOKEN],
  ['pad_token', 'padToken', EOS_TOKEN],
] as const;

/**
 * Reads tokenizer_config.json, special_tokens_map.json (which wins, as in transformers) and
 * added_tokens.json. Missing files are fine; defaults are CLIPTokenizer's.
 */
export function parseTokenizerSettings(files: {
  tokenizerConfig: string | null;
  specialTokensMap: string | null;
  addedTokens: string | null;
  names?: { tokenizerConfig: string; specialTokensMap: string; addedTokens: string };
}): TokenizerSettings {
  const names = files.names ?? {
    tokenizerConfig: 'tokenizer_config.json',
    specialTokensMap: 'special_tokens_map.json',
    addedTokens: 'added_tokens.json',
  };
  const config = files.tokenizerConfig ? parseJsonFile(files.tokenizerConfig, names.tokenizerConfig) : {};
  const map = files.specialTokensMap ? parseJsonFile(files.specialTokensMap, names.specialTokensMap) : {};
  const specials = {} as Record<(typeof SPECIAL_KEYS)[number][1], TokenSpec>;
  for (const [key, field, fallback] of SPECIAL_KEYS) {
    specials[field] =
      parseTokenSpec(map[key], `${names.specialTokensMap}: ${key}`) ??
      parseTokenSpec(config[key], `${names.tokenizerConfig}: ${key}`) ??
      addedToken(fallback, { special: true, normalized: true });
  }

  const maxLength = parseModelMaxLength(config.model_max_length, names.tokenizerConfig);

  const added = new Map<number, { content: string; id: number; special: boolean }>();
  const decoderTable = config.added_tokens_decoder;
  if (decoderTable !== undefined) {
    for (const [idText, value] of Object.entries(asObject(decoderTable, `${names.tokenizerConfig}: added_tokens_decoder`))) {
      const where = `${names.tokenizerConfig}: added_tokens_decoder["${idText}"]`;
      const entry = asObject(value, where);
      const id = Number(idText);
      if (!Number.isInteger(id) || id < 0) throw new Error(`${where}: the key must be a token id`);
      if (typeof entry.content !== 'string') throw new Error(`${where}.content: expected a string`);
      added.set(id, { content: entry.content, id, special: entry.special === true });
    }
  }
  if (files.addedTokens) {
    for (const [content, id] of Object.entries(parseJsonFile(files.addedTokens, names.addedTokens))) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new Error(`${names.addedTokens}: token ${JSON.stringify(content)} has id ${JSON.stringify(id)}, expected a non-negative integer`);
      }
      if (!added.has(id)) added.set(id, { content, id, special: false });
    }
  }
  return {
    ...specials,
    // CLIP folders always set it; without it HF would allow any length, 77 is CLIP's context.
    modelMaxLength: maxLength ?? 77,
    addedTokens: [...added.values()].sort((a, b) => a.id - b.id),
  };
}

/** transformers' LARGE_INTEGER: a model_max_length at or above it (1e30 is what transformers writes) means "no limit". */
const NO_LIMIT_FROM = 1e20;
/** Far above any text model's context; a larger finite length is a broken or hostile file, refused before anything is padded to it. */
export const MAX_MODEL_MAX_LENGTH = 1_048_576;

/** tokenizer_config.json's model_max_length: a positive integer, Infinity for "no limit", undefined when absent. */
function parseModelMaxLength(value: unknown, file: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${file}: model_max_length must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (value >= NO_LIMIT_FROM) return Infinity;
  if (value > MAX_MODEL_MAX_LENGTH) {
    throw new Error(
      `${file}: model_max_length ${value} is not a plausible context length (CLIP: 77; at most ${MAX_MODEL_MAX_LENGTH}, ` +
        'or 1e30 for no limit): fix the file',
    );
  }
  return value;
}
