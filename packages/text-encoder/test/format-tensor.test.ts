import { describe, expect, it } from 'vitest';
import { formatTensor } from '../src/index.js';

// Layouts copied from PyTorch's printouts in the seed tutorial.
describe('formatTensor prints like PyTorch', () => {
  it('wraps integer rows ten to a line', () => {
    const ids = [49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0, 0, 49406, 320, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407];
    expect(formatTensor(ids, [2, 11], { kind: 'int' })).toBe(
      [
        'tensor([[49406,   320,  1125,   539,   320,  2368, 49407,     0,     0,     0,',
        '             0],',
        '        [49406,   320,  1125,   539,   320,  2308,  3309,   320,   736,  2595,',
        '         49407]])',
      ].join('\n'),
    );
  });

  it('summarizes large float tensors with edge items', () => {
    const data = Float32Array.from({ length: 2 * 11 * 1024 }, (_, i) => ((i % 7) - 3) * 0.25 + 0.0125);
    const text = formatTensor(data, [2, 11, 1024], { suffixes: ['dtype=torch.float16'] });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^tensor\(\[\[\[-?\d\.\d{4}, -?\d\.\d{4}, -?\d\.\d{4},\s+\.\.\.,\s+-?\d\.\d{4}, -?\d\.\d{4}, -?\d\.\d{4}\],$/);
    expect(lines[3]).toBe('         ...,');
    expect(lines[7]).toBe('');
    expect(text.endsWith(', dtype=torch.float16)') || text.endsWith('\n       dtype=torch.float16)')).toBe(true);
  });

  it('switches to scientific notation for wide ranges', () => {
    expect(formatTensor([1e-5, 1], [2])).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(formatTensor([1, 2], [2])).toBe('tensor([1., 2.])');
  });
});
