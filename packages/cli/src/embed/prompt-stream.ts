import { InputError } from '../command.js';

/** One prompt of a captions file: its row (0-based, among prompts) and where it was read (1-based line). */
export interface PromptRow {
  row: number;
  line: number;
  prompt: string;
}

export type PromptFormat = 'txt' | 'jsonl' | 'csv';

/** Fields a JSON-lines object or a CSV header may hold the prompt in, tried in this order. */
const PROMPT_FIELDS = ['prompt', 'caption', 'text'];

export function formatOf(path: string, given: string | undefined): PromptFormat {
  const format = given ?? /\.(txt|jsonl|csv)$/i.exec(path)?.[1]?.toLowerCase();
  if (format === 'txt' || format === 'jsonl' || format === 'csv') return format;
  throw new InputError(`--input ${path}: cannot tell the format from the name; name it .txt, .jsonl or .csv, or pass --format txt|jsonl|csv`);
}

/**
 * The prompts of a captions file, streamed (a file of millions of lines is never held whole):
 * `.txt` one prompt per line (blank lines skipped), `.jsonl` a JSON string or an object with a
 * `prompt`, `caption` or `text` field (or `field`) per line, `.csv` (RFC 4180: quoted fields may
 * hold commas, quotes and newlines) with a header naming the column. A UTF-8 BOM is dropped.
 */
export async function* readPrompts(path: string, format: PromptFormat, field?: string): AsyncGenerator<PromptRow> {
  let row = 0;
  if (format === 'csv') {
    for await (const record of csvRecords(path)) yield { row: row++, line: record.line, prompt: record.value };
    return;
  }
  let line = 0;
  for await (const text of lines(path)) {
    line++;
    if (format === 'txt') {
      if (text.trim() === '') continue;
      yield { row: row++, line, prompt: text };
      continue;
    }
    if (text.trim() === '') continue;
    yield { row: row++, line, prompt: jsonPrompt(text, path, line, field) };
  }

  async function* csvRecords(file: string): AsyncGenerator<{ line: number; value: string }> {
    let column = -1;
    for await (const { line: at, fields } of csvRows(file)) {
      if (column < 0) {
        const names = fields.map((f) => f.trim());
        column = field !== undefined ? names.indexOf(field) : names.findIndex((n) => PROMPT_FIELDS.includes(n.toLowerCase()));
        if (column < 0) {
          throw new InputError(
            `${file}: the header (${names.map((n) => JSON.stringify(n)).join(', ')}) has no ${field !== undefined ? JSON.stringify(field) : 'prompt, caption or text'} column; name it with --field`,
          );
        }
        continue;
      }
      if (fields.length === 1 && fields[0] === '') continue; // a blank line
      if (column >= fields.length) throw new InputError(`${file}:${at}: ${fields.length} fields, the prompt column is number ${column + 1}`);
      yield { line: at, value: fields[column]! };
    }
  }
}

/** How many prompts the file holds (a quick pass, for the progress bar's ETA). */
export async function countPrompts(path: string, format: PromptFormat, field?: string): Promise<number> {
  let n = 0;
  for await (const _ of readPrompts(path, format, field)) n++;
  return n;
}

function jsonPrompt(text: string, path: string, line: number, field: string | undefined): string {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${path}:${line}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const name = field ?? PROMPT_FIELDS.find((f) => Object.hasOwn(record, f));
    const prompt = name === undefined ? undefined : record[name];
    if (typeof prompt === 'string') return prompt;
    throw new InputError(
      `${path}:${line}: ${name === undefined ? 'no prompt, caption or text field' : `field ${JSON.stringify(name)} is not a string`}; name the field with --field`,
    );
  }
  throw new InputError(`${path}:${line}: expected a JSON string or object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
}

/** Lines of a UTF-8 file without their line ends (\n or \r\n); the first loses a BOM. */
async function* lines(path: string): AsyncGenerator<string> {
  const { createReadStream } = await import('node:fs');
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let first = true;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
      yield strip(rest.slice(start, nl));
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest !== '') yield strip(rest);

  function strip(text: string): string {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (!first) return line;
    first = false;
    return line.startsWith('\uFEFF') ? line.slice(1) : line;
  }
}

/** RFC 4180 records with the line each starts on; a quoted field may span lines. */
async function* csvRows(path: string): AsyncGenerator<{ line: number; fields: string[] }> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let startLine = 1;
  let line = 0;
  for await (const text of lines(path)) {
    line++;
    if (!quoted) startLine = line;
    else field += '\n';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (quoted) {
        if (ch !== '"') field += ch;
        else if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else if (ch === '"' && field === '') quoted = true;
      else if (ch === ',') {
        fields.push(field);
        field = '';
      } else field += ch;
    }
    if (quoted) continue;
    fields.push(field);
    yield { line: startLine, fields };
    fields = [];
    field = '';
  }
  if (quoted) throw new InputError(`${path}:${startLine}: a quoted field is never closed`);
}
