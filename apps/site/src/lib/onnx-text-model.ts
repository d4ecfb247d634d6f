// What the cells call `textEncoder` when ONNX Runtime Web runs the model: the tfjs CLIPTextModel's
// surface (forward, config, textModel, the printed module tree) over @sdtext/onnx's engine, with the
// outputs as tfjs tensors so the cells' slicing and comparing reads the same on both engines.
// `forward` returns a Promise here (ONNX Runtime runs asynchronously): cells write
// `await textEncoder.forward(...)`, which tfjs's synchronous forward also satisfies.
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LoadedTextEncoder } from '@sdtext/pipeline';
import type { CLIPTextConfig } from '@sdtext/text-encoder';
import type { Tf } from './site-encoder';

type EncodeInputs = Parameters<LoadedTextEncoder['encode']>[0];
type FloatTensor = Awaited<ReturnType<LoadedTextEncoder['encode']>>['lastHiddenState'];

export interface ForwardInputs {
  inputIds: EncodeInputs['inputIds'];
  attentionMask?: EncodeInputs['attentionMask'];
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

/** CLIPTextModel.forward's outputs, as tfjs tensors (the caller's tfjs scope disposes them). */
export interface ForwardOutputs {
  lastHiddenState: Tensor;
  poolerOutput: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** The module tree's text, as `String(...)` gives it for tfjs's modules. */
type Describe = (config: CLIPTextConfig) => string;

export class OnnxTextModelView {
  readonly textModel: { finalLayerNorm: { forward(x: Tensor): Promise<Tensor> }; toString(): string };

  constructor(
    private readonly engine: LoadedTextEncoder,
    private readonly tf: Tf,
    private readonly describe: { model: Describe; transformer: Describe },
  ) {
    const tensorOf = (t: FloatTensor): Tensor => tf.tensor(t.data, t.dims, 'float32');
    this.textModel = {
      // The model's own final_layer_norm, run by @sdtext/onnx on the checkpoint's weights.
      finalLayerNorm: {
        forward: async (x: Tensor): Promise<Tensor> => tensorOf(await engine.finalLayerNorm({ data: (await x.data()) as Float32Array, dims: [...x.shape] })),
      },
      // The graph is built from the checkpoint under Hugging Face's module names: the same tree.
      toString: () => describe.transformer(engine.config),
    };
  }

  get config(): CLIPTextConfig {
    return this.engine.config;
  }

  async forward({ inputIds, attentionMask, outputHiddenStates = false, outputAttentions = false }: ForwardInputs): Promise<ForwardOutputs> {
    const out = await this.engine.encode({ inputIds, attentionMask: attentionMask ?? null, outputHiddenStates, outputAttentions });
    const tensorOf = (t: FloatTensor): Tensor => this.tf.tensor(t.data, t.dims, 'float32');
    return {
      lastHiddenState: tensorOf(out.lastHiddenState),
      poolerOutput: tensorOf(out.poolerOutput),
      ...(out.hiddenStates ? { hiddenStates: out.hiddenStates.map(tensorOf) } : {}),
      ...(out.attentions ? { attentions: out.attentions.map(tensorOf) } : {}),
    };
  }

  toString(): string {
    return this.describe.model(this.engine.config);
  }
}
