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
import { checkInputs } from './inputs.js';
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
  readonly cache: EmbeddingCache | null;

  private constructor(
    private readonly model: CLIPTextModel | CLIPTextModelWithProjection,
    readonly withProjection: boolean,
    cache: EmbeddingCacheOptions | false | undefined,
  ) {
    this.cache = cache === false ? null : new EmbeddingCache(cache);
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
    const run = async (): Promise<EncodeOutputs> => {
      const out = this.model.forward({ inputIds, attentionMask, outputHiddenStates });
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
    return this.cache ? this.cache.through(inputs.key, outputHiddenStates, run) : run();
  }

  async dispose(): Promise<void> {
    this.cache?.clear();
    this.model.dispose();
  }
}
