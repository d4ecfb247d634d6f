import * as tf from '@tensorflow/tfjs-core';
import type { HiddenAct } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { Module } from './module.js';

export abstract class Activation extends Module {
  abstract forward(x: tf.Tensor): tf.Tensor;
}

/** HF's GELUActivation: the exact form 0.5 x (1 + erf(x / sqrt 2)), not the tanh approximation. */
export class GELUActivation extends Activation {
  readonly typeName = 'GELUActivation';
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/** HF's QuickGELUActivation (OpenAI CLIP): x * sigmoid(1.702 x). */
export class QuickGELUActivation extends Activation {
  readonly typeName = 'QuickGELUActivation';
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
  }
}

/** ACT2FN[config.hidden_act]. */
export function makeActivation(vs: WeightScope, act: HiddenAct): Activation {
  switch (act) {
    case 'gelu':
      return new GELUActivation(vs);
    case 'quick_gelu':
      return new QuickGELUActivation(vs);
  }
}
