import type { CLIPTokenizer, Padding } from '@sdtext/tokenizer';
import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions, parsePositiveInteger } from '../parse-options.js';
import { readTextList } from '../read-input.js';
import { TOKENIZER_OPTION_HELP, loadTokenizer } from '../tokenizer-option.js';
import { T5_TOKENIZER_HELP, isT5TokenizerChoice, isT5TokenizerFolder, loadT5Tokenizer } from '../t5-tokenizer-option.js';

const USAGE = `sdtext tokenize [TEXT...] [--input FILE] [options]

Tokenizes texts as Hugging Face's CLIPTokenizer does, by default padded to 77 with truncation
(what Stable Diffusion feeds its text encoder); with a T5 tokenizer, as T5TokenizerFast does
(SD3's and Flux's T5 prompts: pass --max-length 256 or 512 where the folder sets no limit).

  --input FILE                a JSON array of strings to tokenize (after any TEXT arguments);
                              - reads it from standard input
  ${TOKENIZER_OPTION_HELP}
  ${T5_TOKENIZER_HELP}
  --padding max_length|longest|none   (default: max_length)
  --max-length N              (default: the tokenizer's model_max_length: 77 for CLIP)
  --no-truncation             keep texts longer than --max-length whole
  --json                      print a JSON array: text, tokens, ids, input_ids, attention_mask`;

const PADDINGS: Record<string, Padding> = { max_length: 'max_length', longest: 'longest', none: false };

export const tokenizeCommand: Command = {
  name: 'tokenize',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      input: { type: 'string' },
      tokenizer: { type: 'string' },
      padding: { type: 'string' },
      'max-length': { type: 'string' },
      truncation: { type: 'boolean', default: true },
      json: { type: 'boolean', default: false },
    });
    const paddingName = values.padding ?? 'max_length';
    if (!Object.hasOwn(PADDINGS, paddingName)) {
      throw new UsageError(`--padding must be max_length, longest or none, got "${paddingName}"`);
    }
    const maxLength = parsePositiveInteger(values['max-length'], '--max-length');
    const texts = [...positionals, ...(values.input ? await readTextList(values.input, io.cwd) : [])];
    if (texts.length === 0) throw new UsageError('give at least one TEXT or --input FILE');
    if (isT5TokenizerChoice(values.tokenizer) || (values.tokenizer !== undefined && (await isT5TokenizerFolder((await import('node:path')).resolve(io.cwd, values.tokenizer))))) {
      const t5 = await loadT5Tokenizer(values.tokenizer, io);
      return tokenizeT5(t5, texts, { padding: PADDINGS[paddingName]!, maxLength, truncation: values.truncation, json: values.json }, io);
    }
    const tokenizer = await loadTokenizer(values.tokenizer, io.cwd);

    const batch = tokenizer.encode(texts, { padding: PADDINGS[paddingName]!, maxLength, truncation: values.truncation });
    const rows = texts.map((text, i) => {
      const tokens = tokenizer.tokenize(text);
      return {
        text,
        tokens,
        ids: tokenizer.convertTokensToIds(tokens),
        input_ids: batch.inputIds[i]!,
        attention_mask: batch.attentionMask[i]!,
        truncation: batch.truncation[i]!,
      };
    });
    if (values.json) {
      io.stdout(JSON.stringify(rows.map(({ truncation: _, ...row }) => row)) + '\n');
    } else {
      for (const row of rows) io.stdout(formatRow(row, tokenizer) + '\n');
    }
    for (const [i, row] of rows.entries()) {
      if (row.truncation) {
        io.stderr(
          `warning: text ${i + 1} was truncated to ${row.input_ids.length} tokens; CLIP never sees the last ` +
            `${row.truncation.removedTokens}: "${row.truncation.removedText}"\n`,
        );
      }
    }
    return 0;
  },
};

/** The T5 path of `tokenize`: T5TokenizerFast's ids (`</s>` appended), padded and cut as asked. */
function tokenizeT5(
  tokenizer: T5Tokenizer,
  texts: readonly string[],
  options: { padding: Padding; maxLength: number | undefined; truncation: boolean; json: boolean },
  io: CliIO,
): number {
  let batch;
  try {
    batch = tokenizer.encode(texts, { padding: options.padding, ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}), truncation: options.truncation });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const rows = texts.map((text, i) => {
    const tokens = tokenizer.tokenize(text);
    return { text, tokens, ids: tokenizer.convertTokensToIds(tokens), input_ids: batch.inputIds[i]!, attention_mask: batch.attentionMask[i]! };
  });
  if (options.json) io.stdout(JSON.stringify(rows) + '\n');
  else for (const row of rows) io.stdout(formatRow(row, tokenizer) + '\n');
  rows.forEach((row, i) => {
    // What truncation cut: the ids past the kept ones, before the </s> both end with.
    const whole = tokenizer.encode(row.text).inputIds;
    const kept = row.attention_mask.filter((m) => m === 1).length;
    if (whole.length > kept) {
      const removed = whole.slice(kept - 1, -1);
      io.stderr(`warning: text ${i + 1} was truncated to ${kept} tokens; T5 never sees the last ${removed.length}: "${tokenizer.decode(removed)}"\n`);
    }
  });
  return 0;
}

/** Runs of equal values as `v ×n`, so 64 pad ids read as one item. */
function runLength(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    parts.push(j - i > 3 ? `${values[i]} ×${j - i}` : values.slice(i, j).join(' '));
    i = j;
  }
  return parts.join(' ');
}

function formatRow(
  row: { text: string; tokens: string[]; ids: number[]; input_ids: number[]; attention_mask: number[] },
  tokenizer: Pick<CLIPTokenizer, 'padToken' | 'padTokenId'>,
): string {
  const tokenView = row.tokens.map((t, i) => `${t}(${row.ids[i]})`).join(' ');
  const real = row.attention_mask.filter((m) => m === 1).length;
  return [
    `${JSON.stringify(row.text)}`,
    `  tokens (${row.tokens.length}): ${tokenView}`,
    `  input_ids (${row.input_ids.length}, ${real} real, pad ${JSON.stringify(tokenizer.padToken)}=${tokenizer.padTokenId}): ${runLength(row.input_ids)}`,
    `  attention_mask: ${runLength(row.attention_mask)}`,
  ].join('\n');
}
