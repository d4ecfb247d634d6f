import { InputError } from './command.js';

/** Reads and parses a JSON file, with errors that name the file. */
export async function readJsonFile(path: string, cwd: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  const { resolve } = await import('node:path');
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `--input FILE`: a JSON array of strings. */
export async function readTextList(path: string, cwd: string): Promise<string[]> {
  const value = await readJsonFile(path, cwd);
  if (!Array.isArray(value)) throw new InputError(`${path}: expected a JSON array of strings, found ${describeJson(value)}`);
  value.forEach((entry: unknown, index) => {
    if (typeof entry !== 'string') throw new InputError(`${path}: entry ${index} is ${describeJson(entry)}, expected a string`);
  });
  return value as string[];
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
