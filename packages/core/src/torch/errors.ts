/** Any problem with a torch file: its zip, its pickle, or a tensor's geometry. The message names the file and where. */
export class TorchFileError extends Error {
  override name = 'TorchFileError';
}
