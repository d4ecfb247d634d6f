import { describe } from 'vitest';
import { testEveryCodePoint } from './code-points.js';

// One file per mode, so the two run in parallel.
describe('every code point, sd2 mode', () => testEveryCodePoint('sd2'));
