import type { Command } from '../command.js';
import { decodeCommand } from './decode.js';
import { downloadCommand } from './download.js';
import { embedCommand } from './embed.js';
import { encodeCommand } from './encode.js';
import { inspectCommand } from './inspect.js';
import { parseCommand } from './parse.js';
import { tokenizeCommand } from './tokenize.js';

/** Every `sdtext` subcommand, in the order `sdtext --help` lists them. */
export const COMMANDS: readonly Command[] = [tokenizeCommand, decodeCommand, parseCommand, encodeCommand, embedCommand, inspectCommand, downloadCommand];
