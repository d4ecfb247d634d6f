import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions } from '../parse-options.js';
import { TOKENIZER_OPTION_HELP, loadTokenizer } from '../tokenizer-option.js';

const USAGE = `sdtext decode [options] ID...

Turns token ids back into text, as Hugging Face's tokenizer.decode.

  ${TOKENIZER_OPTION_HELP}
  --skip-special-tokens       drop <|startoftext|>, <|endoftext|> and the pad token`;

export const decodeCommand: Command = {
  name: 'decode',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      tokenizer: { type: 'string' },
      'skip-special-tokens': { type: 'boolean', default: false },
    });
    if (positionals.length === 0) throw new UsageError('give at least one token ID');
    // Accept "1 2 3" as well as "1,2,3" and "[1, 2, 3]" pasted from Python.
    const words = positionals.flatMap((p) => p.replace(/[[\]]/g, ' ').split(/[\s,]+/)).filter((w) => w !== '');
    const ids = words.map((word) => {
      if (!/^-?\d+$/.test(word)) throw new UsageError(`"${word}" is not a token id (an integer)`);
      return Number(word);
    });
    const tokenizer = await loadTokenizer(values.tokenizer, io.cwd);
    try {
      io.stdout(tokenizer.decode(ids, { skipSpecialTokens: values['skip-special-tokens'] }) + '\n');
    } catch (error) {
      if (error instanceof RangeError) throw new InputError(error.message);
      throw error;
    }
    return 0;
  },
};
