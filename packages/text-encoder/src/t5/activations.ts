import * as tf from '@tensorflow/tfjs-core';
import type { T5Activation } from '@sdtext/core/t5';
import { Activation, GELUActivation } from '../modules/activations.js';
import type { WeightScope } from '../weight-scope.js';

/** HF's NewGELUActivation (gelu_new, T5 v1.1's "gated-gelu"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export class NewGELUActivation extends Activation {
  readonly typeName = 'NewGELUActivation';
  forward(x: tf.Tensor): tf.Tensor {
    const cube = tf.mul(tf.mul(x, x), x); // torch.pow(x, 3.0) is x * x * x for this exponent
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }
}

/** nn.ReLU (the original T5's feed-forward). */
export class ReLU extends Activation {
  readonly typeName = 'ReLU';
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

/** ACT2FN[config.dense_act_fn] for T5's feed-forward. */
export function makeT5Activation(vs: WeightScope, act: T5Activation): Activation {
  switch (act) {
    case 'relu':
      return new ReLU(vs);
    case 'gelu':
      return new GELUActivation(vs);
    case 'gelu_new':
      return new NewGELUActivation(vs);
  }
}
