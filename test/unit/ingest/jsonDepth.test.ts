import fc from 'fast-check';
import { jsonNestingDepth } from '../../../src/ingest/jsonDepth';

/** Reference: depth of the parsed value, computed recursively (fine for the small values used here). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe('jsonNestingDepth', () => {
  it('matches the depth of the parsed value for any JSON (brackets inside strings do not count)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.string({ unit: 'grapheme' }), (value, noise) => {
        const text = JSON.stringify({ noise: `[{${noise}\\"[`, value });
        expect(jsonNestingDepth(text)).toBe(depthOf(JSON.parse(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it('handles very deep input without recursion', () => {
    expect(jsonNestingDepth('['.repeat(200_000) + ']'.repeat(200_000))).toBe(200_000);
  });
});
