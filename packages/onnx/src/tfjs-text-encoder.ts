import * as tf from '@tensorflow/tfjs-core';
import {
  CLIPTextModel,
  CLIPTextModelWithProjection,
  type CLIPTextConfig,
  type CLIPTextProjectionOutputs,
  type FromPretrainedOptions,
  type ModelSource,
} from '@sdtext/text-encoder';
import { EmbeddingCache, type EmbeddingCacheOptions } from './embedding-cache.js';
import type { EncodeInputs, EncodeOutputs, FloatTensor, TextEncoderEngine } from './encoder-api.js';
import { checkInputs, selectRows } from './inputs.js';
import { configHasProjection } from './weights.js';

export interface TfjsTextEncoderOptions extends FromPretrainedOptions {
  /** Load as CLIPTextModelWithProjection. Default: from config.json's `architectures`. */
  withProjection?: boolean;
  /** The embedding cache's bounds, or false for none. */
  cache?: EmbeddingCacheOptions | false;
}

async function plain(t: tf.Tensor): Promise<FloatTensor> {
  return { data: (await t.data()) as Float32Array, dims: [...t.shape] };
}

/** The tfjs engine (@sdtext/text-encoder's CLIPTextModel) behind the common TextEncoderEngine interface. */
export class TfjsTextEncoder implements TextEncoderEngine {
  readonly engine = 'tfjs';
  readonly cache: EmbeddingCache;

  private constructor(
    /** The tfjs model itself (diffusers' `pipe.text_encoder`: `forward`, `textModel`, `String(...)`). */
    readonly model: CLIPTextModel | CLIPTextModelWithProjection,
    readonly withProjection: boolean,
    cache: EmbeddingCacheOptions | false | undefined,
  ) {
    this.cache = new EmbeddingCache(cache === false ? { maxEntries: 0 } : cache);
  }

  static async fromPretrained(source: ModelSource, options: TfjsTextEncoderOptions = {}): Promise<TfjsTextEncoder> {
    const withProjection = options.withProjection ?? (await configHasProjection(source, options));
    const model = withProjection
      ? await CLIPTextModelWithProjection.fromPretrained(source, options)
      : await CLIPTextModel.fromPretrained(source, options);
    return new TfjsTextEncoder(model, withProjection, options.cache);
  }

  get config(): CLIPTextConfig {
    return this.model.config;
  }

  get backend(): string {
    return `tfjs (${tf.getBackend()})`;
  }

  async encode({ inputIds, attentionMask, outputHiddenStates = false }: EncodeInputs): Promise<EncodeOutputs> {
    const inputs = checkInputs(this.config, inputIds, attentionMask);
    const run = async (rows: number[]): Promise<EncodeOutputs> => {
      const part = selectRows(inputs, rows);
      const asRows = (a: BigInt64Array): number[][] =>
        Array.from({ length: part.batch }, (_, b) => Array.from(a.subarray(b * part.seqLen, (b + 1) * part.seqLen), Number));
      const out = this.model.forward({ inputIds: asRows(part.ids), attentionMask: attentionMask ? asRows(part.mask) : undefined, outputHiddenStates });
      const all: tf.Tensor[] = [out.lastHiddenState, out.poolerOutput, ...(out.hiddenStates ?? [])];
      try {
        const result: EncodeOutputs = { lastHiddenState: await plain(out.lastHiddenState), poolerOutput: await plain(out.poolerOutput) };
        if (out.hiddenStates) result.hiddenStates = await Promise.all(out.hiddenStates.map(plain));
        const { textEmbeds } = out as Partial<CLIPTextProjectionOutputs>;
        if (textEmbeds) {
          all.push(textEmbeds);
          result.textEmbeds = await plain(textEmbeds);
        }
        return result;
      } finally {
        tf.dispose(all);
      }
    };
    return this.cache.encode(inputs.rowKeys, outputHiddenStates, run);
  }

  async finalLayerNorm(x: FloatTensor): Promise<FloatTensor> {
    const y = tf.tidy(() => this.model.textModel.finalLayerNorm.forward(tf.tensor(x.data, x.dims, 'float32')));
    try {
      return await plain(y);
    } finally {
      y.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    this.model.dispose();
  }
}
