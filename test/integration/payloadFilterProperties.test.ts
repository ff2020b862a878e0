import fc from 'fast-check';
import { sql } from 'kysely';
import { connectDatabase } from '../../src/db/connect';
import { compileFilter, InvalidFilterError, MAX_COMPILED_LENGTH } from '../../src/filters/compileFilter';
import { filterMatchesSql } from '../../src/filters/filterDocument';
import { FILTER_LIMITS } from '../../src/filters/filterSchema';
import { createTestDatabase } from '../support/testStack';

/**
 * No filter can crash or slow down planning: whatever JSON a tenant sends either is refused on
 * write (InvalidFilterError, a 422) or compiles to a path that Postgres parses, that is no longer
 * than a bound fixed by the limits (planning's work per endpoint is linear in it), and that
 * evaluates against any event document, the way the planning statement evaluates it, without an
 * error. Real Postgres, as planning uses it.
 */
describe('payload filters: properties on real Postgres', () => {
  let database: ReturnType<typeof connectDatabase>;
  beforeAll(async () => {
    database = connectDatabase(await createTestDatabase(), 2);
  });
  afterAll(async () => database?.close());

  async function evaluate(path: string, document: unknown): Promise<boolean> {
    const { rows } = await sql<{ m: boolean }>`select ${filterMatchesSql(sql`${JSON.stringify(document)}::jsonb`, sql`${path}::jsonpath`)} as m`.execute(database.db);
    return rows[0]!.m;
  }

  const key = fc.oneof(fc.constantFrom('data', 'runtime_vars', 'type', 'n', 'tags', 'crm_account_id', 'duration_seconds'), fc.string({ maxLength: 8 }));
  const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null));
  const document = fc.jsonValue({ maxDepth: 4 });

  /** Filters built from the grammar, so most of them are valid and reach Postgres. */
  const filter: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ node: Record<string, unknown>; leaf: unknown }>((tie) => ({
    leaf: fc.oneof(
      scalar,
      fc.record({ $eq: scalar }),
      fc.record({ $neq: scalar }),
      fc.record({ $gte: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })) }),
      fc.record({ $lt: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
      fc.record({ $in: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
      fc.record({ $nin: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
      fc.record({ $startsWith: fc.string({ maxLength: 5 }) }),
      fc.record({ $exist: fc.boolean() }),
      fc.record({ $not: fc.record({ $gt: fc.integer() }) }),
      tie('node'),
    ),
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.dictionary(key, tie('leaf'), { minKeys: 1, maxKeys: 3 }),
      fc.record({ $or: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ $and: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    ),
  })).node;

  it('grammar-built filters: refused with InvalidFilterError, or a bounded path Postgres evaluates without error', async () => {
    let evaluated = 0;
    await fc.assert(
      fc.asyncProperty(filter, fc.array(document, { minLength: 1, maxLength: 3 }), async (f, docs) => {
        let path: string | null;
        try {
          path = compileFilter(f);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidFilterError);
          return;
        }
        if (path === null) return;
        expect(path.length).toBeLessThanOrEqual(MAX_COMPILED_LENGTH);
        for (const d of docs) expect(typeof (await evaluate(path, d))).toBe('boolean');
        evaluated++;
      }),
      { numRuns: 300 },
    );
    // The property is about valid filters too, not only refusals.
    expect(evaluated).toBeGreaterThan(100);
  });

  it('arbitrary JSON as a filter: never anything but InvalidFilterError or a path Postgres parses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 8 })), async (f) => {
        let path: string | null;
        try {
          path = compileFilter(f);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidFilterError);
          return;
        }
        if (path === null) return;
        expect(path.length).toBeLessThanOrEqual(MAX_COMPILED_LENGTH);
        await evaluate(path, f);
      }),
      { numRuns: 300 },
    );
  });

  it('the largest filters the limits allow stay within the bound and evaluate', async () => {
    const longKey = '"'.repeat(FILTER_LIMITS.maxKeyLength);
    const longString = '\u0001'.repeat(FILTER_LIMITS.maxStringLength);
    const deep = (leaf: unknown) => ({ [longKey]: { [longKey]: { [longKey]: { [longKey]: leaf } } } }); // with the $or: depth 5, the leaf operator 6
    const widest = { $or: Array.from({ length: 25 }, () => deep({ $in: [longString, longString] })) };
    // Over the byte limit: refused before any work.
    expect(() => compileFilter(widest)).toThrow(/bytes/);
    const small = { $or: Array.from({ length: 3 }, () => deep({ $in: Array.from({ length: 10 }, () => longString.slice(0, 20)) })) };
    const path = compileFilter(small)!;
    expect(path.length).toBeLessThanOrEqual(MAX_COMPILED_LENGTH);
    expect(await evaluate(path, deep(longString.slice(0, 20)))).toBe(true);
  });
});
