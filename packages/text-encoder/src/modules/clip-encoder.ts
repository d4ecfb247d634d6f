import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { CLIPEncoderLayer } from './clip-encoder-layer.js';
import { Module } from './module.js';
import { ModuleList } from './module-list.js';

/** The stack of CLIPEncoderLayers. */
export class CLIPEncoder extends Module {
  readonly typeName = 'CLIPEncoder';
  readonly layers: ModuleList<CLIPEncoderLayer>;

  constructor(vs: WeightScope, config: CLIPTextConfig) {
    super(vs);
    this.layers = new ModuleList(vs.pp('layers'), config.num_hidden_layers, (lvs) => new CLIPEncoderLayer(lvs, config));
  }

  /**
   * x [B, S, H] -> [B, S, H]. With `hiddenStates` given, pushes HF's encoder_states: the input,
   * then each layer's output (layers + 1 in all); with `attentions`, each layer's attention
   * probabilities [B, nh, S, S].
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor4D, hiddenStates?: tf.Tensor3D[], attentions?: tf.Tensor4D[]): tf.Tensor3D {
    hiddenStates?.push(x);
    let h = x;
    for (const layer of this.layers.items) {
      // One tidy per layer frees its intermediates (attention scores, the 4x-wide MLP activation)
      // before the next layer runs: peak memory stays near the weights instead of growing per layer.
      const next = tf.tidy(() => layer.forward(h, mask, attentions));
      if (!hiddenStates && h !== x) h.dispose(); // an earlier layer's output that nothing else holds
      h = next;
      hiddenStates?.push(h);
    }
    return h;
  }

  override children(): Module[] {
    return [this.layers];
  }
}
