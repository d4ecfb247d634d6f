import { describe, expect, it } from 'vitest';
import { isPythonSpace, pythonWhitespaceClean } from '../src/index.js';

// Python 3's str.isspace() is true for exactly these code points.
const PYTHON_SPACES = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

describe('isPythonSpace', () => {
  it("matches Python's str.isspace on the whole BMP and beyond", () => {
    const expected = new Set(PYTHON_SPACES);
    for (let code = 0; code < 0x30000; code++) {
      if (isPythonSpace(code) !== expected.has(code)) throw new Error(`mismatch at U+${code.toString(16)}`);
    }
  });

  it('differs from JavaScript \\s where Python does', () => {
    expect(isPythonSpace(0xfeff)).toBe(false);
    expect(isPythonSpace(0x1c)).toBe(true);
    expect(isPythonSpace(0x85)).toBe(true);
    expect(isPythonSpace(0x180e)).toBe(false);
  });
});

describe('pythonWhitespaceClean', () => {
  it.each([
    ['', ''],
    ['   ', ''],
    ['\t \n \r\n ', ''],
    [' leading', 'leading'],
    ['  both  ', 'both'],
    ['a\u00a0b', 'a b'],
    ['a\x1cb\x85c', 'a b c'],
    ['a\ufeffb', 'a\ufeffb'],
    ['\ufeff', '\ufeff'],
    ['a\u200bb', 'a\u200bb'],
    ['x \u3000 y\u2028', 'x y'],
  ])('pythonWhitespaceClean(%j) === %j', (input, expected) => {
    expect(pythonWhitespaceClean(input)).toBe(expected);
  });
});
