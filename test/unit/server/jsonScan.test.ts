import fc from 'fast-check';
import { scanJson } from '../../../src/server/body/jsonScan';

/** Reference: depth of the parsed value, computed recursively (fine for the small values used here). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe('scanJson: nesting depth', () => {
  it('refuses exactly the JSON nesting deeper than the limit (brackets inside strings do not count)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 10 }), (value, noise, limit) => {
        const text = JSON.stringify({ noise: `[{${noise}\\"[`, value });
        const tooDeep = depthOf(JSON.parse(text)) > limit;
        expect(scanJson(text, limit)).toEqual(tooDeep ? { kind: 'too_deep', maxDepth: limit } : undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it('handles very deep input without recursion', () => {
    expect(scanJson('['.repeat(200_000) + ']'.repeat(200_000), 64)).toEqual({ kind: 'too_deep', maxDepth: 64 });
    expect(scanJson('['.repeat(64) + ']'.repeat(64), 64)).toBeUndefined();
  });
});

describe('scanJson: repeated object keys', () => {
  it('finds none in any JSON.stringify output (which cannot repeat a key)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(scanJson(JSON.stringify(value), 1000)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a key repeated at any depth and names its path', () => {
    // An object at a random place in random JSON gets one of its keys twice.
    const withDuplicate = fc
      .tuple(fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.nat({ max: 3 })), { maxLength: 5 }), fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
      .map(([path, key, v]) => {
        const inner = `{${JSON.stringify(key)}:${JSON.stringify(v)},"other":1,${JSON.stringify(key)}:2}`;
        // Wrap it along `path`: strings become object members, numbers array positions.
        let text = inner;
        for (const step of [...path].reverse()) {
          text = typeof step === 'string' ? `{"x":0,${JSON.stringify(step)}:${text}}` : `[${Array(step).fill('0').concat(text).join(',')}]`;
        }
        return { text, expected: [...path.map(String), key].join('.'), key };
      })
      .filter(({ text }) => {
        // A wrapping member named "x" would itself repeat; keep the generated case unambiguous.
        return !/\{"x":0,"x":/.test(text);
      });
    fc.assert(
      fc.property(withDuplicate, ({ text, expected, key }) => {
        JSON.parse(text); // valid JSON: the parser would silently keep the last value
        expect(scanJson(text, 1000)).toEqual({ kind: 'duplicate_key', key, path: expected });
      }),
      { numRuns: 1000 },
    );
  });

  it('compares keys as the parser reads them: an escaped spelling repeats the plain one', () => {
    expect(scanJson('{"event":"call.ended","\\u0065vent":"call.started"}', 64)).toEqual({ kind: 'duplicate_key', key: 'event', path: 'event' });
    expect(scanJson('{"a\\"b":1,"a\\u0022b":2}', 64)).toEqual({ kind: 'duplicate_key', key: 'a"b', path: 'a"b' });
    // A quote after an escaped backslash ends the string; after an escaped quote it does not.
    expect(scanJson('{"a\\\\":1,"a\\\\":2}', 64)).toEqual({ kind: 'duplicate_key', key: 'a\\', path: 'a\\' });
    expect(scanJson('{"a\\"":1,"a\\\\":2}', 64)).toBeUndefined();
  });

  it('keeps separate objects apart: the same key in sibling objects, or a value equal to a key, is fine', () => {
    expect(scanJson('{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}],"d":"a"}', 64)).toBeUndefined();
    expect(scanJson('[{"k":1},{"k":1,"j":{"k":1}}]', 64)).toBeUndefined();
    expect(scanJson('{"data":{"items":[1,{"id":1,"id":2}]}}', 64)).toEqual({ kind: 'duplicate_key', key: 'id', path: 'data.items.1.id' });
  });
});
