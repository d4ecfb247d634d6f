import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import { loadPretrained, type ModelSource, type FromPretrainedOptions } from '../from-pretrained.js';
import type { WeightScope } from '../weight-scope.js';
import { CLIPTextTransformer, type CLIPTextInputs, type CLIPTextOutputs } from './clip-text-transformer.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface CLIPTextProjectionOutputs extends CLIPTextOutputs {
  /** [B, projection_dim]: text_projection(poolerOutput). */
  textEmbeds: tf.Tensor2D;
}

/** HF's CLIPTextModelWithProjection: the text transformer plus a bias-free projection of the pooled output. */
export class CLIPTextModelWithProjection extends Module {
  readonly typeName = 'CLIPTextModelWithProjection';
  readonly textModel: CLIPTextTransformer;
  readonly textProjection: Linear;

  constructor(
    vs: WeightScope,
    readonly config: CLIPTextConfig,
  ) {
    super(vs);
    this.textModel = new CLIPTextTransformer(vs.pp('text_model'), config);
    this.textProjection = new Linear(vs.pp('text_projection'), config.hidden_size, config.projection_dim, false);
  }

  static fromPretrained(source: ModelSource, options: FromPretrainedOptions = {}): Promise<CLIPTextModelWithProjection> {
    return loadPretrained(source, options, true, (vs, config) => new CLIPTextModelWithProjection(vs, config));
  }

  forward(inputs: CLIPTextInputs): CLIPTextProjectionOutputs {
    const out = this.textModel.forward(inputs);
    const textEmbeds = tf.tidy(() => this.textProjection.forward(out.poolerOutput) as tf.Tensor2D); // [B, P]
    return { ...out, textEmbeds };
  }

  override children(): Module[] {
    return [this.textModel, this.textProjection];
  }
}
