import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate';
import { seedPartner } from '../support/fixtures';
import { partnerHeaders } from '../support/inboundSigning';
import { freePort } from '../support/ports';
import { PrivatePostgres } from '../support/privatePostgres';
import { startTestStack, type TestStack } from '../support/testStack';
import { callEvent, postRaw, postSigned } from './ingestHelpers';

/**
 * Uses a private embedded Postgres (the shared one serves every other file) that this test stops:
 * ingest must answer 503 + Retry-After, never a 2xx, and accept again once it is back.
 */
describe('ingest while Postgres is down', () => {
  let postgres: PrivatePostgres;
  let stack: TestStack;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-ingest-pg-'));
    postgres = new PrivatePostgres(path.join(root, 'pg'), await freePort());
    const url = await postgres.start();
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
    await migrateToLatest(db);
    await db.destroy();
    stack = await startTestStack({ worker: false, env: { DATABASE_URL: url, DATABASE_POOL_SIZE: '4' } });
  });
  afterAll(async () => {
    await stack?.close();
    await postgres?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('503 with Retry-After while Postgres is stopped (known and uncached partners alike), 202 again after it restarts', async () => {
    const partner = await seedPartner(stack);
    expect((await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', 'before'))).status).toBe(202);

    await postgres.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Known partner: its secret is cached, so the failure is at the commit itself.
      const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent(i % 2 ? 'call.ended' : 'call.started', `down-${i}`));
      statuses.push(res.status);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    }
    // Unknown to the cache: the failure is at the partner lookup.
    const body = JSON.stringify(callEvent('call.started', 'down-x'));
    const uncached = await postRaw(stack, 'ptn_uncached', body, partnerHeaders(partner.inbound_secret, body));
    statuses.push(uncached.status);
    expect(uncached.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(statuses.every((s) => s === 503)).toBe(true);

    await postgres.start();
    // The pool replaces its dead connections; the first requests after the restart may still hit one.
    let after = 0;
    for (let i = 0; i < 20 && after !== 202; i++) {
      const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', `after-${i}`));
      after = res.status;
      expect([202, 503]).toContain(after);
      if (after !== 202) await new Promise((r) => setTimeout(r, 250));
    }
    expect(after).toBe(202);
    const events = await stack.core.database.db.selectFrom('events').select('call_id').where('partner_id', '=', partner.id).execute();
    expect(events.map((e) => e.call_id).sort()).toEqual(expect.arrayContaining(['before']));
    expect(events.some((e) => e.call_id.startsWith('down-'))).toBe(false); // nothing half-written
  });
});
