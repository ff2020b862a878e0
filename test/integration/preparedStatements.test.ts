import { sql } from 'kysely';
import { connectDatabase, type DbHandle } from '../../src/db/connect';
import { preparedAs } from '../../src/db/preparedStatements';
import { createTestDatabase } from '../support/testStack';

/** A marked statement is prepared once per connection; unmarked ones, or with the option off, never. */
describe('named prepared statements', () => {
  let url: string;
  const handles: DbHandle[] = [];
  beforeAll(async () => {
    url = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
  });

  // One connection per pool, so every statement runs in the session we inspect.
  const open = (prepared: boolean) => {
    const h = connectDatabase(url, 1, undefined, prepared);
    handles.push(h);
    return h.db;
  };
  const prepared = async (db: DbHandle['db']) =>
    (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db)).rows;

  it('prepares a marked statement under its name, once, and keeps returning the right rows', async () => {
    const db = open(true);
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{ v: number }>`${preparedAs('probe_value')} select ${n}::int + 1 as v`.execute(db);
      expect(rows).toEqual([{ v: n + 1 }]);
    }
    await sql`select 1`.execute(db);
    const statements = await prepared(db);
    expect(statements.map((s) => s.name)).toEqual(['probe_value']);
    expect(statements[0]!.statement).toMatch(/^\/\* prepared:probe_value \*\/\s+select \$1::int \+ 1 as v$/);
  });

  it('runs the same statement unnamed when DATABASE_PREPARED_STATEMENTS is off', async () => {
    const db = open(false);
    const { rows } = await sql<{ v: number }>`${preparedAs('probe_value')} select ${41}::int + 1 as v`.execute(db);
    expect(rows).toEqual([{ v: 42 }]);
    expect(await prepared(db)).toEqual([]);
  });

  it('plans a named statement once per connection (generic plan), and leaves the setting alone when off', async () => {
    const planMode = async (db: DbHandle['db']) => (await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(db)).rows[0]!.plan_cache_mode;
    expect(await planMode(open(true))).toBe('force_generic_plan');
    expect(await planMode(open(false))).toBe('auto');
  });

  it('refuses a name that is not a plain identifier', () => {
    expect(() => preparedAs('x; drop table events')).toThrow(/invalid prepared statement name/);
  });
});
