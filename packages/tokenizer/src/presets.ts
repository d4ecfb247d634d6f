import { addedToken } from './added-token.js';
import { CLIPTokenizer } from './clip-tokenizer.js';
import { BOS_TOKEN, EOS_TOKEN, bundledClipVocabulary } from './vocabulary.js';

export type TokenizerPreset = 'sd2' | 'sd1';

/** The tokenizers of the Stable Diffusion text encoders, with the bundled CLIP vocabulary. */
export const TOKENIZER_PRESETS: Readonly<Record<TokenizerPreset, { readonly repo: string; readonly padToken: string }>> = {
  /** stabilityai/stable-diffusion-2-base's tokenizer: pads with "!" (id 0). */
  sd2: { repo: 'stabilityai/stable-diffusion-2-base', padToken: '!' },
  /** openai/clip-vit-large-patch14, Stable Diffusion 1.x: pads with <|endoftext|> (id 49407). */
  sd1: { repo: 'openai/clip-vit-large-patch14', padToken: EOS_TOKEN },
};

/** A preset tokenizer: no network, no files. */
export function tokenizerFromPreset(preset: TokenizerPreset): CLIPTokenizer {
  const settings = TOKENIZER_PRESETS[preset];
  if (!settings) {
    throw new Error(`unknown tokenizer preset ${JSON.stringify(preset)}: use one of ${Object.keys(TOKENIZER_PRESETS).join(', ')}`);
  }
  const special = (content: string) => addedToken(content, { special: true, normalized: true });
  return new CLIPTokenizer({
    vocabulary: bundledClipVocabulary(),
    nameOrPath: settings.repo,
    modelMaxLength: 77,
    bosToken: special(BOS_TOKEN),
    eosToken: special(EOS_TOKEN),
    unkToken: special(EOS_TOKEN),
    // SD2's tokenizer_config.json writes its pad token as a plain string, SD1's as an AddedToken.
    padToken: preset === 'sd2' ? settings.padToken : special(settings.padToken),
  });
}
