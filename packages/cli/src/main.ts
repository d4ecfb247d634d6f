import { InputError, UsageError, type CliIO } from './command.js';
import { COMMANDS } from './commands/index.js';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'sdtext: the text half of Stable Diffusion (CLIP tokenizer and text encoder), equal to Hugging Face.',
    '',
    'Usage: sdtext <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "sdtext <command> --help" for its options.',
  ].join('\n');
}

/** Runs the CLI on `args` (without node and the script); resolves to the exit code. */
export async function main(args: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`sdtext: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`sdtext ${name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof InputError) {
      io.stderr(`sdtext ${name}: ${error.message}\n`);
      return 1;
    }
    io.stderr(`sdtext ${name}: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
