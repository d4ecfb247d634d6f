import type * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { makeActivation, type Activation } from './activations.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** The position-wise feed-forward block: fc2(act(fc1(x))). */
export class CLIPMLP extends Module {
  readonly typeName = 'CLIPMLP';
  readonly activationFn: Activation;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(vs: WeightScope, config: CLIPTextConfig) {
    super(vs);
    this.activationFn = makeActivation(vs.pp('activation_fn'), config.hidden_act);
    this.fc1 = new Linear(vs.pp('fc1'), config.hidden_size, config.intermediate_size);
    this.fc2 = new Linear(vs.pp('fc2'), config.intermediate_size, config.hidden_size);
  }

  /** [B, S, H] -> [B, S, I] -> [B, S, H]. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return this.fc2.forward(this.activationFn.forward(this.fc1.forward(x))) as tf.Tensor3D;
  }

  override children(): Module[] {
    return [this.activationFn, this.fc1, this.fc2];
  }
}
