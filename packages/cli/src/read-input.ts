import { InputError } from './command.js';

/** `-` names standard input wherever a command reads a file. */
export const STDIN_PATH = '-';

/** How errors name an input: the path, or "standard input". */
export function inputName(path: string): string {
  return path === STDIN_PATH ? 'standard input' : path;
}

/**
 * Reads and parses a JSON file (`-`: standard input), with errors that name it. A UTF-8 byte
 * order mark is dropped: Windows editors and PowerShell's `Out-File` write one, and
 * `JSON.parse` refuses it.
 */
export async function readJsonFile(path: string, cwd: string): Promise<unknown> {
  const name = inputName(path);
  let bytes: Uint8Array;
  try {
    bytes = path === STDIN_PATH ? await readStdin() : await readFileBytes(path, cwd);
  } catch (error) {
    throw new InputError(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  // TextDecoder drops a leading BOM (ignoreBOM is false) and, as readFile's 'utf8', replaces bad bytes.
  const text = new TextDecoder('utf-8').decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readFileBytes(path: string, cwd: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  const { resolve } = await import('node:path');
  return readFile(resolve(cwd, path));
}

/** All of standard input, read when asked (`process.stdin` is looked up then, so tests can stand in for it). */
async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  return Buffer.concat(chunks);
}

/** `--input FILE` (`-`: standard input): a JSON array of strings. */
export async function readTextList(path: string, cwd: string): Promise<string[]> {
  const value = await readJsonFile(path, cwd);
  const name = inputName(path);
  if (!Array.isArray(value)) throw new InputError(`${name}: expected a JSON array of strings, found ${describeJson(value)}`);
  value.forEach((entry: unknown, index) => {
    if (typeof entry !== 'string') throw new InputError(`${name}: entry ${index} is ${describeJson(entry)}, expected a string`);
  });
  return value as string[];
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
