/** A LoRA file that cannot be used: its message names the file, and the key or module. */
export class LoraError extends Error {
  override name = 'LoraError';
}
