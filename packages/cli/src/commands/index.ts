import type { Command } from '../command.js';

/**
 * Every `sdtext` subcommand, in the order `sdtext --help` lists them. Each module is imported when
 * its command runs: `sdtext tokenize` should not load the encoders (tfjs, the pipeline: about 250 ms
 * of module loading).
 */
export interface CommandEntry {
  readonly name: string;
  /** One line for `sdtext --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'tokenize', summary: 'text -> CLIP tokens and ids, padded like Stable Diffusion', load: async () => (await import('./tokenize.js')).tokenizeCommand },
  { name: 'decode', summary: 'token ids -> text', load: async () => (await import('./decode.js')).decodeCommand },
  { name: 'parse', summary: 'a prompt in A1111, ComfyUI or compel syntax -> pieces, weights, chunks, schedule', load: async () => (await import('./parse.js')).parseCommand },
  { name: 'encode', summary: 'prompts or ids -> text encoder outputs and prompt embeddings', load: async () => (await import('./encode.js')).encodeCommand },
  { name: 'embed', summary: 'many prompts from a file -> resumable shards of embeddings', load: async () => (await import('./embed.js')).embedCommand },
  { name: 'inspect', summary: 'config summary, parameter count, dtype and module tree of a text encoder', load: async () => (await import('./inspect.js')).inspectCommand },
  { name: 'download', summary: 'fetch a repo\'s tokenizer and text encoder into the Hugging Face cache', load: async () => (await import('./download.js')).downloadCommand },
];
