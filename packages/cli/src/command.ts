/** What a command may touch: injected so tests run commands in-process and read what they print. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal (progress bars, colours); false in pipes and tests. */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** One `sdtext <name>` subcommand. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Bad command-line input: printed with the command's usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input data (files, ids): printed as is, exit code 1. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
