import type { JsonReader } from './json-reader.js';
import { readMetaspace } from './pre-tokenizers.js';

/** A decoder of the Rust `tokenizers`: tokens in, tokens out (`decode` joins them). */
export type DecodeChain = (tokens: string[]) => string[];

const SUPPORTED = ['Metaspace', 'Sequence'] as const;

export function readDecoder(json: JsonReader): DecodeChain | null {
  if (json.isNull()) return null;
  const type = json.type('decoder', SUPPORTED);
  if (type === 'Sequence') {
    const steps = json.get('decoders').array().map((item) => readDecoder(item)).filter((d): d is DecodeChain => d !== null);
    return (tokens) => steps.reduce((t, step) => step(t), tokens);
  }
  const { replacement, prependScheme } = readMetaspace(json);
  // Every replacement becomes a space, except in the first token, which loses them all
  // (unless nothing was prepended when encoding).
  return (tokens) => tokens.map((token, i) => token.replaceAll(replacement, i === 0 && prependScheme !== 'never' ? '' : ' '));
}
