import { newId, randomText } from '../../src/ids';

describe('ids', () => {
  it('gives prefixed ids that stay distinct across many refills of the random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newId('evt'));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-z]{9}[A-Za-z0-9_-]{14}$/);
  });

  it('encodes exactly the bytes asked for, including across the end of the pool', () => {
    // 4096 / 12 leaves a remainder, so some draws start a new pool rather than straddle the end.
    const texts = Array.from({ length: 1000 }, () => randomText(12));
    for (const text of texts) expect(Buffer.from(text, 'base64url')).toHaveLength(12);
    expect(new Set(texts).size).toBe(texts.length);
  });
});
