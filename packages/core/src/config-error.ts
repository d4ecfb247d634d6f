/** A config.json field out of range or of the wrong kind, for any model family; the message names the field and the file. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
