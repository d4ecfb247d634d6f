import { addedToken } from '../added-token.js';
import { JsonReader } from './json-reader.js';
import type { ConfiguredAddedToken } from './slow-tokenizer.js';

/** What a T5 tokenizer folder's tokenizer_config.json and special_tokens_map.json set. */
export interface T5Settings {
  eosToken?: string;
  unkToken?: string;
  padToken?: string;
  /** Infinity when the config says "no limit" (1e30) or has none. */
  modelMaxLength?: number;
  extraIds?: number;
  cleanUpTokenizationSpaces?: boolean;
  /** `added_tokens_decoder`, which the slow tokenizer takes its added tokens' flags from. */
  addedTokensDecoder?: ConfiguredAddedToken[];
  legacy?: boolean;
}

/** transformers writes 1e30 (VERY_LARGE_INTEGER) for "no limit". */
const NO_LIMIT_FROM = 1e20;

function tokenContent(json: JsonReader): string | undefined {
  if (json.isNull()) return undefined;
  if (typeof json.value === 'string') return json.value;
  return json.get('content').string();
}

/** Reads tokenizer_config.json and special_tokens_map.json (either may be null); the map wins, as in transformers. */
export function readT5Settings(config: string | null, configFile: string, map: string | null, mapFile: string): T5Settings {
  const settings: T5Settings = {};
  if (config !== null) {
    const json = JsonReader.parse(config, configFile);
    json.object();
    settings.eosToken = tokenContent(json.get('eos_token'));
    settings.unkToken = tokenContent(json.get('unk_token'));
    settings.padToken = tokenContent(json.get('pad_token'));
    if (json.has('model_max_length')) {
      const length = json.get('model_max_length').number();
      if (!(length >= 1) || (length < NO_LIMIT_FROM && !Number.isInteger(length))) json.get('model_max_length').fail(`expected a positive integer, got ${length}`);
      settings.modelMaxLength = length >= NO_LIMIT_FROM ? Infinity : length;
    }
    if (json.has('extra_ids')) settings.extraIds = json.get('extra_ids').integer();
    if (json.has('clean_up_tokenization_spaces')) settings.cleanUpTokenizationSpaces = json.get('clean_up_tokenization_spaces').boolean();
    if (json.has('legacy')) settings.legacy = json.get('legacy').boolean();
    if (json.has('added_tokens_decoder')) {
      const table = json.get('added_tokens_decoder');
      settings.addedTokensDecoder = Object.keys(table.object()).map((key) => {
        const entry = table.get(key);
        const id = Number(key);
        if (!Number.isInteger(id) || id < 0) entry.fail('the key must be a token id');
        const token = addedToken(entry.get('content').string(), {
          special: entry.get('special').boolean(false),
          lstrip: entry.get('lstrip').boolean(false),
          rstrip: entry.get('rstrip').boolean(false),
          singleWord: entry.get('single_word').boolean(false),
          normalized: entry.get('normalized').boolean(true),
        });
        return { ...token, id };
      });
    }
  }
  if (map !== null) {
    const json = JsonReader.parse(map, mapFile);
    json.object();
    settings.eosToken = tokenContent(json.get('eos_token')) ?? settings.eosToken;
    settings.unkToken = tokenContent(json.get('unk_token')) ?? settings.unkToken;
    settings.padToken = tokenContent(json.get('pad_token')) ?? settings.padToken;
  }
  return settings;
}
