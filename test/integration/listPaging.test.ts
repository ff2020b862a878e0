import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { newId } from '../../src/ids';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, seedApiKey } from './deliveryHelpers';

interface Page {
  data: Array<{ id: string; updated_at: string }>;
  next_after: string | null;
}

describe('lists page by cursor', () => {
  let stack: TestStack;
  let db: Kysely<Database>;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let tenantId: string;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    db = stack.core.database.db;
    partner = await seedPartner(stack, 'Paging Voice');
    tenantId = (await seedTenant(stack, partner.id, 'T')).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function insertEvent(id: string, at: ReturnType<typeof sql<Date>>, partnerId = partner.id) {
    await sql`
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, occurred_at, received_at, payload, status, workflow_id)
      values (${id}, ${partnerId}, ${`call-${id}`}, 'call.ended', true, ${partnerId === partner.id ? tenantId : null}, ${at}, ${at}, '{}'::jsonb, 'delivered', ${`wf-${id}`})`.execute(db);
  }

  /** Follows `next_after` from the first page to the last, checking each full page's size. */
  async function walk(route: string, limit: number, key = stack.adminKey, between?: (pageNumber: number) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 20; n++) {
      const res: { status: number; body: Page } = await api<Page>(stack, 'GET', `${route}${route.includes('?') ? '&' : '?'}limit=${limit}${after ? `&after=${after}` : ''}`, key);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((d) => d.id));
      after = res.body.next_after;
      if (!after) return seen;
      expect(res.body.data).toHaveLength(limit);
      await between?.(n);
    }
    throw new Error('the cursor never reached the last page');
  }

  /**
   * The delivery log is ordered by last activity, so its cursor is a position, not an id: rows
   * written in the same millisecond (Postgres keeps microseconds), rows with the very same time,
   * and a row whose activity moves it to the front while a client is paging.
   */
  describe('the delivery log', () => {
    let endpointId: string;
    /** Every delivery of this endpoint, in the order the log must show them. */
    let expected: string[];

    beforeAll(async () => {
      endpointId = (await seedEndpoint(stack, partner.id, tenantId, { url: 'http://127.0.0.1:9/hook' })).id;
      // Offsets in microseconds from one base time: three rows within one millisecond, two rows
      // sharing a time exactly (the id decides), and two further apart.
      const offsets: Array<[string, number]> = [
        ['dlv_page_a', 0],
        ['dlv_page_b', 100],
        ['dlv_page_c', 200],
        ['dlv_page_d', 300],
        ['dlv_page_e', 300],
        ['dlv_page_f', 5_000],
        ['dlv_page_g', 9_000_000],
      ];
      for (const [id, micros] of offsets) {
        const at = sql<Date>`timestamptz '2026-11-30 10:00:00.000100+00' + make_interval(secs => ${micros / 1e6})`;
        await insertEvent(`evt_${id}`, at);
        await sql`
          insert into deliveries (id, event_id, endpoint_id, tenant_id, partner_id, status, created_at, updated_at)
          values (${id}, ${`evt_${id}`}, ${endpointId}, ${tenantId}, ${partner.id}, 'delivered', ${at}, ${at})`.execute(db);
      }
      expected = ['dlv_page_g', 'dlv_page_f', 'dlv_page_e', 'dlv_page_d', 'dlv_page_c', 'dlv_page_b', 'dlv_page_a'];
    });

    const list = (query: string) => api<Page>(stack, 'GET', `/v1/deliveries?endpoint_id=${endpointId}&${query}`);

    it('every page size lists each delivery once, in activity order, and the last page says so', async () => {
      for (const limit of [1, 2, 3, 7]) expect(await walk(`/v1/deliveries?endpoint_id=${endpointId}`, limit)).toEqual(expected);
      const whole = await list('limit=7');
      expect(whole.body.next_after).toBeNull();
      expect((await list('limit=100')).body.data.map((d) => d.id)).toEqual(expected);
    });

    it('a delivery whose activity moves it to the front while paging is not shown twice, and nothing is skipped', async () => {
      const seen = await walk(`/v1/deliveries?endpoint_id=${endpointId}`, 2, stack.adminKey, async (n) => {
        // After the first page: a row not yet shown gets new activity and moves to the front.
        if (n === 0) await sql`update deliveries set updated_at = now() where id = 'dlv_page_b'`.execute(db);
      });
      expect(seen).toEqual(expected.filter((id) => id !== 'dlv_page_b'));
      expect((await list('limit=1')).body.data.map((d) => d.id)).toEqual(['dlv_page_b']);
    });

    it('a cursor that is not one, or a cursor with an offset, is a 422 naming the parameter', async () => {
      for (const bad of ['not-a-cursor', Buffer.from('["2026-11-30T10:00:00Z","dlv_x"]').toString('base64url'), '%2F%2F']) {
        const res = await list(`after=${bad}`);
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ error: { code: 'validation_failed', details: [{ field: 'after', message: 'must be the next_after of a previous page' }] } });
      }
      const first = await list('limit=1');
      const both = await list(`limit=1&after=${first.body.next_after}&offset=1`);
      expect(both.status).toBe(422);
      expect(both.body).toMatchObject({ error: { details: [{ field: 'offset', message: 'give after or offset, not both' }] } });
    });

    it('the deprecated offset still pages, and the document marks it deprecated', async () => {
      expect((await list('limit=2&offset=2')).body.data.map((d) => d.id)).toEqual((await list('limit=100')).body.data.map((d) => d.id).slice(2, 4));
      const doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as {
        paths: Record<string, { get: { parameters: Array<{ name: string; deprecated?: boolean }> } }>;
      };
      const params = doc.paths['/v1/deliveries']!.get.parameters;
      expect(params.find((p) => p.name === 'offset')?.deprecated).toBe(true);
      expect(params.find((p) => p.name === 'after')?.deprecated).toBeUndefined();
    });
  });

  describe('quarantine and incidents, newest first by id', () => {
    let quarantineIds: string[];
    let incidentIds: string[];
    let otherPartnerKey: string;

    beforeAll(async () => {
      quarantineIds = [];
      incidentIds = [];
      for (let i = 0; i < 5; i++) {
        const eventId = newId('evt');
        await insertEvent(eventId, sql<Date>`now()`);
        const id = `qtn_${eventId.slice(4)}`;
        await sql`insert into quarantine (id, event_id, partner_id, reason, detail, status) values (${id}, ${eventId}, ${partner.id}, 'unroutable', '{}'::jsonb, 'open')`.execute(db);
        quarantineIds.push(id);
        const incidentId = newId('inc');
        await sql`
          insert into incidents (id, partner_id, kind, severity, status, summary, detail)
          values (${incidentId}, ${partner.id}, 'reconciliation_mismatch', 'warning', 'open', 's', '{}'::jsonb)`.execute(db);
        incidentIds.push(incidentId);
      }
      // Another partner's items stay out of this partner's pages.
      const other = await seedPartner(stack, 'Other Voice');
      otherPartnerKey = await seedApiKey(stack, 'partner', other.id);
      const otherEvent = newId('evt');
      await insertEvent(otherEvent, sql<Date>`now()`, other.id);
      await sql`insert into quarantine (id, event_id, partner_id, reason, detail, status) values (${`qtn_${otherEvent.slice(4)}`}, ${otherEvent}, ${other.id}, 'unroutable', '{}'::jsonb, 'open')`.execute(db);
      await sql`
        insert into incidents (id, partner_id, kind, severity, status, summary, detail)
        values (${newId('inc')}, ${other.id}, 'reconciliation_mismatch', 'warning', 'open', 's', '{}'::jsonb)`.execute(db);
    });

    it.each([
      ['quarantine', '/v1/quarantine', () => quarantineIds],
      ['incidents', '/v1/incidents', () => incidentIds],
    ])('%s: every page size lists each item once, newest first, and only the caller\'s', async (_what, route, ids) => {
      const newestFirst = [...ids()].sort().reverse();
      for (const limit of [1, 2, 5]) expect(await walk(route, limit, partner.api_key)).toEqual(newestFirst);
      expect(await walk(route, 2, otherPartnerKey)).toHaveLength(1);
      const bad = await api<{ error: { details: Array<{ field: string }> } }>(stack, 'GET', `${route}?after=not-an-id`, partner.api_key);
      expect(bad.status).toBe(422);
      expect(bad.body.error.details[0]!.field).toBe('after');
    });
  });
});
