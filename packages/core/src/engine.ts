export type EngineName = 'tfjs' | 'onnx';

/**
 * What every model family's engine has, whichever runtime runs it: CLIP's TextEncoderEngine
 * (clip/engine.ts) and T5's T5EncoderEngine (t5/engine.ts) extend it with their own config,
 * inputs and outputs.
 */
export interface EncoderEngine<Config, Inputs, Outputs> {
  readonly engine: EngineName;
  /** Which runtime/backend runs it, e.g. "onnxruntime-node (cpu)" or "tfjs (wasm)". */
  readonly backend: string;
  readonly config: Config;
  encode(inputs: Inputs): Promise<Outputs>;
  dispose(): Promise<void>;
}
