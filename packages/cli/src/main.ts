import { escapeForTerminal } from '@sdtext/core';
import { UsageError, type CliIO } from './command.js';
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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`sdtext: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = safeForTerminal((error as Error).message ?? String(error));
    if (error instanceof UsageError) {
      io.stderr(`sdtext ${name}: ${message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr(`sdtext ${name}: ${message}\n`);
    return 1;
  }
}

/**
 * Messages quote names from files and servers (tensor keys, repo paths, headers): their control
 * characters are escaped so a hostile name cannot drive the terminal. Line breaks and tabs stay.
 */
export function safeForTerminal(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(escapeForTerminal).join('\t'))
    .join('\n');
}
