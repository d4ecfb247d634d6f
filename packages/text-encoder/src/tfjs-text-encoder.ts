import * as tf from '@tensorflow/tfjs-core';
import {
  EmbeddingCache,
  checkInputs,
  selectRows,
  type CLIPTextConfig,
  type EmbeddingCacheOptions,
  type EncodeInputs,
  type EncodeOutputs,
  type FloatTensor,
  type ModelSource,
  type TextEncoderEngine,
} from '@sdtext/core';
import { loadPretrained, type FromPretrainedOptions } from './from-pretrained.js';
import { POOLING_ONLY_LIMITS } from './inputs.js';
import { CLIPTextModel } from './modules/clip-text-model.js';
import { CLIPTextModelWithProjection, type CLIPTextProjectionOutputs } from './modules/clip-text-model-with-projection.js';

/**
 * EncodeInputs plus HF's `inputs_embeds`: [B, S, H] token embeddings used instead of the lookup
 * (the ids then only choose each row's pooled position). Such calls bypass the embedding cache.
 */
export interface InputsEmbedsInputs extends EncodeInputs {
  inputsEmbeds?: FloatTensor | null;
}

export interface TfjsTextEncoderOptions extends FromPretrainedOptions {
  /** Load as CLIPTextModelWithProjection. Default: from config.json's `architectures`. */
  withProjection?: boolean;
  /** The embedding cache's bounds, or false for none. */
  cache?: EmbeddingCacheOptions | false;
}

async function plain(t: tf.Tensor): Promise<FloatTensor> {
  return { data: (await t.data()) as Float32Array, dims: [...t.shape] };
}

/** The tfjs engine: CLIPTextModel behind @sdtext/core's engine-neutral TextEncoderEngine interface. */
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
    // withProjection: as asked, else from config.json's architectures (or the single file's layout).
    const model = await loadPretrained(source, options, options.withProjection, (vs, config, withProjection) =>
      withProjection ? new CLIPTextModelWithProjection(vs, config) : new CLIPTextModel(vs, config),
    );
    return new TfjsTextEncoder(model, model instanceof CLIPTextModelWithProjection, options.cache);
  }

  get config(): CLIPTextConfig {
    return this.model.config;
  }

  get backend(): string {
    return `tfjs (${tf.getBackend()})`;
  }

  async encode({ inputIds, attentionMask, outputHiddenStates = false, outputAttentions = false, inputsEmbeds = null }: InputsEmbedsInputs): Promise<EncodeOutputs> {
    const inputs = checkInputs(inputsEmbeds ? { ...this.config, ...POOLING_ONLY_LIMITS } : this.config, inputIds, attentionMask);
    const run = async (rows: number[]): Promise<EncodeOutputs> => {
      const part = selectRows(inputs, rows);
      const dims = [part.batch, part.seqLen];
      const out = this.model.forward({
        inputIds: { data: part.ids, dims },
        attentionMask: part.hasMask ? { data: part.mask, dims } : undefined,
        outputHiddenStates,
        outputAttentions,
        inputsEmbeds,
      });
      const all: tf.Tensor[] = [out.lastHiddenState, out.poolerOutput, ...(out.hiddenStates ?? []), ...(out.attentions ?? [])];
      try {
        const result: EncodeOutputs = { lastHiddenState: await plain(out.lastHiddenState), poolerOutput: await plain(out.poolerOutput) };
        if (out.hiddenStates) result.hiddenStates = await Promise.all(out.hiddenStates.map(plain));
        if (out.attentions) result.attentions = await Promise.all(out.attentions.map(plain));
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
    // Rows are keyed by their ids: given embeddings are not part of the key, so those calls run as they are.
    if (inputsEmbeds) return run(inputs.rowKeys.map((_, b) => b));
    return this.cache.encode(inputs.rowKeys, { hiddenStates: outputHiddenStates, attentions: outputAttentions }, run);
  }

  /** The token embeddings of ids [B, S] (HF's `get_input_embeddings()(input_ids)`): [B, S, H], for `inputsEmbeds`. */
  async embedTokens(inputIds: EncodeInputs['inputIds']): Promise<FloatTensor> {
    const { batch, seqLen, ids } = checkInputs(this.config, inputIds);
    const table = this.model.textModel.embeddings.tokenEmbedding;
    const out = tf.tidy(() => table.forward(tf.tensor2d(ids, [batch, seqLen], 'int32')));
    try {
      return await plain(out);
    } finally {
      out.dispose();
    }
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
