import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { connectDatabase, type DbHandle } from '../../src/db/connect';
import { executePrepared } from '../../src/db/preparedStatements';
import { persistEvent } from '../../src/ingest/persistEvent';
import { createTestDatabase } from '../support/testStack';

const execFileAsync = promisify(execFile);

/** A statement run through executePrepared is prepared once per connection; others, or with the option off, never. */
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

  it('prepares a statement under its name, once, and keeps returning the right rows', async () => {
    const db = open(true);
    for (const n of [1, 2, 3]) {
      const rows = await executePrepared(db, 'probe_value', sql<{ v: number }>`select ${n}::int + 1 as v`);
      expect(rows).toEqual([{ v: n + 1 }]);
    }
    await sql`select 1`.execute(db);
    const statements = await prepared(db);
    expect(statements.map((s) => s.name)).toEqual(['probe_value']);
    expect(statements[0]!.statement).toBe('select $1::int + 1 as v');
  });

  it('runs the same statement unnamed when DATABASE_PREPARED_STATEMENTS is off', async () => {
    const db = open(false);
    const rows = await executePrepared(db, 'probe_value', sql<{ v: number }>`select ${41}::int + 1 as v`);
    expect(rows).toEqual([{ v: 42 }]);
    expect(await prepared(db)).toEqual([]);
  });

  it('plans a named statement once per connection (generic plan), and leaves the setting alone when off', async () => {
    const planMode = async (db: DbHandle['db']) => (await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(db)).rows[0]!.plan_cache_mode;
    expect(await planMode(open(true))).toBe('force_generic_plan');
    expect(await planMode(open(false))).toBe('auto');
  });

  it("sets the plan mode before a new connection's first query, not queued with it (pg deprecates that)", async () => {
    // In a process of its own: Jest's sandbox does not pass process warnings to the test.
    const script = [
      "const { sql } = require('kysely');",
      "const { connectDatabase } = require('./src/db/connect');",
      "const { executePrepared } = require('./src/db/preparedStatements');",
      'const h = connectDatabase(process.env.PROBE_DATABASE_URL, 1, undefined, true);',
      // A prepared statement goes through pg-pool's own query(), which queues on a new client at once.
      "executePrepared(h.db, 'probe_one', sql`select 1`).then(() => h.close()).then(() => console.log('probe done'));",
    ].join('\n');
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, PROBE_DATABASE_URL: url },
    });
    expect(stdout).toContain('probe done');
    expect(stderr).not.toContain('already executing a query');
  });

  it('runs the ingest statement prepared, as persist_events', async () => {
    const db = open(true);
    await sql`insert into partners (id, name) values ('prt_prep', 'P')`.execute(db);
    const body = JSON.stringify({ event: 'call.started', call_id: 'c-prep' });
    const stored = await persistEvent(db, {
      partnerId: 'prt_prep',
      callId: 'c-prep',
      eventType: 'call.started',
      terminal: false,
      tenantId: null,
      voiceSessionId: null,
      occurredAt: '2026-11-30T10:00:00Z',
      payload: undefined,
      payloadJson: body,
      workflowId: 'prt_prep:c-prep:call.started',
      source: 'partner',
      receipt: { sourceIp: null, headers: {}, body },
    });
    expect(stored.duplicate).toBe(false);
    expect((await prepared(db)).map((s) => s.name)).toEqual(['persist_events']);
  });

  it('refuses a name that is not a plain identifier', async () => {
    await expect(executePrepared(open(true), 'x; drop table events', sql`select 1`)).rejects.toThrow(/invalid prepared statement name/);
  });
});
