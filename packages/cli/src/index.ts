export { main } from './main.js';
export { COMMANDS, type CommandEntry } from './commands/index.js';
export { InputError, UsageError } from './command.js';
export type { CliIO, Command } from './command.js';
