import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeBucketTable, relativePositionBucket, relativePositionBuckets } from '../../src/t5/index.js';
import { T5_FIXTURES } from './helpers.js';

interface BucketTables {
  relative_positions: [number, number];
  tables: { num_buckets: number; max_distance: number; buckets: number[] }[];
}
const recorded = JSON.parse(fs.readFileSync(path.join(T5_FIXTURES, 'buckets.json'), 'utf8')) as BucketTables;

describe("relative position buckets: HF's _relative_position_bucket as torch computes it", () => {
  for (const { num_buckets, max_distance, buckets } of recorded.tables) {
    it(`${num_buckets} buckets up to ${max_distance}: every relative position from -600 to 600`, () => {
      const [from] = recorded.relative_positions;
      const ours = buckets.map((_, i) => relativePositionBucket(from + i, num_buckets, max_distance));
      expect(ours).toEqual(buckets);
    });

    it(`${num_buckets}/${max_distance}: the clamped table gives the same buckets for a 700-token sequence`, () => {
      const config = { relative_attention_num_buckets: num_buckets, relative_attention_max_distance: max_distance };
      const table = relativeBucketTable(config);
      expect(table.length).toBe(2 * max_distance + 1);
      const S = 700;
      const grid = relativePositionBuckets(S, config);
      for (const [i, j] of [[0, 0], [0, 699], [699, 0], [350, 17], [5, 5 + max_distance], [5 + max_distance, 5], [600, 1]]) {
        expect(grid[i! * S + j!]).toBe(relativePositionBucket(j! - i!, num_buckets, max_distance));
      }
    });
  }

  it('the exact-integer distances of 32 buckets / 128 land where torch puts them (16 -> 10, 32 -> 12, 64 -> 14)', () => {
    expect([16, 32, 64, 128].map((n) => relativePositionBucket(-n, 32, 128))).toEqual([10, 12, 14, 15]);
    expect([16, 32, 64, 128].map((n) => relativePositionBucket(n, 32, 128))).toEqual([26, 28, 30, 31]);
  });
});
