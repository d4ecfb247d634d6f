/**
 * CLIP's vocab.json and merges.txt as the Hugging Face hub has them in openai/clip-vit-large-patch14
 * and every Stable Diffusion tokenizer folder (byte for byte; `test/vocabulary.test.ts` rebuilds
 * both from the bundled data and checks these digests). A folder whose files are exactly these can
 * use the bundled vocabulary instead of parsing 1.5 MB of JSON and text.
 */
export const CANONICAL_CLIP_FILES = {
  vocab: { chars: 951_508, sha256: '3f0c4f7d2086b61b38487075278ea9ed04edb53a03cbb045b86c27190fa8fb69' },
  merges: { chars: 515_308, sha256: '9fd691f7c8039210e0fced15865466c65820d09b63988b0174bfe25de299051a' },
} as const;

/** Whether `vocabJson` and `mergesTxt` are CLIP's files byte for byte (a length check first, then sha256). */
export async function isCanonicalClipVocabulary(vocabJson: string, mergesTxt: string): Promise<boolean> {
  const { vocab, merges } = CANONICAL_CLIP_FILES;
  if (vocabJson.length !== vocab.chars || mergesTxt.length !== merges.chars) return false;
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return false; // no Web Crypto (an insecure browser context): parse the files
  const [a, b] = await Promise.all([sha256(subtle, vocabJson), sha256(subtle, mergesTxt)]);
  return a === vocab.sha256 && b === merges.sha256;
}

async function sha256(subtle: SubtleCrypto, text: string): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
