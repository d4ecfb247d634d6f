/**
 * Child process: `node dist/tokenizer-cold-start.js <library> <prompt>`. Imports one library,
 * builds its tokenizer, encodes one prompt, and prints one JSON line with the times. Nothing but
 * node's built-ins and libraries.ts is loaded before the clock starts.
 */
import { isLibraryName, loadTokenizer } from './libraries.js';

export interface ColdStartSample {
  library: string;
  /** From just before `import()` to the first prompt's ids. */
  importToFirstIdsMs: number;
  /** From process start (performance.timeOrigin) to the first prompt's ids, node's own boot included. */
  processStartToFirstIdsMs: number;
  idsLength: number;
}

const [name, prompt = 'a photograph of an astronaut riding a horse'] = process.argv.slice(2);
if (name === undefined || !isLibraryName(name)) throw new Error(`usage: tokenizer-cold-start.js <library> [prompt]; got ${name}`);
const start = performance.now();
const tokenizer = await loadTokenizer(name);
const ids = await tokenizer.encode([prompt]);
const end = performance.now();
const sample: ColdStartSample = {
  library: name,
  importToFirstIdsMs: end - start,
  processStartToFirstIdsMs: end,
  idsLength: ids[0]?.length ?? 0,
};
process.stdout.write(JSON.stringify(sample) + '\n');
