/**
 * A textual inversion embedding as the front ends find it by name: its vectors for one text
 * encoder, one [H] row per vector (the same arrays every time, so the encoder cache knows them).
 */
export interface NamedEmbedding {
  /** webui: the file's stem (`easynegative.safetensors` is `easynegative`); ComfyUI: its path in the folder. */
  name: string;
  vectors: readonly Float32Array[];
}
