import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createPortalLink } from '../../src/console/portalLinks';
import { redriveWorkflowId, releaseWorkflowId } from '../../src/domain/workflowIds';
import { apiAs, type ApiResponse } from '../support/apiClient';
import { waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The scope matrix over the whole documented API. Every operation in /openapi.json must have a
 * row in ROUTES: either "covered by" one of the two older matrices (tenancyScopes.test.ts,
 * securityScopes.test.ts) or cases here, so a new route without a scope decision fails this file.
 *
 * The cases here call events, deliveries (incl. redrive), quarantine, voice sessions,
 * reconciliations and incidents on partner A's / tenant A1's real data (ingested through signed
 * POSTs, delivered or dead-lettered by the worker, quarantined by tenant resolution, incidents
 * raised by real reconciliation runs) as each of 7 callers. Partner B / tenant B1 have the same
 * kinds of data, so scoped lists are non-empty for both sides.
 *
 * For each case: every caller gets exactly its expected status; refused callers run first and the
 * rows the call would mutate (and the Temporal workflow it would start) are compared before and
 * after them; no response carries the other party's ids, secrets or keys.
 */
type Who = 'none' | 'revoked' | 'admin' | 'pA' | 'pB' | 'tA1' | 'tB1';
type Keyed = Exclude<Who, 'none' | 'revoked'>;
const EVERYONE: Who[] = ['none', 'revoked', 'admin', 'pA', 'pB', 'tA1', 'tB1'];

const TENANCY_MATRIX = 'test/integration/tenancyScopes.test.ts';
const PUBLIC_MATRIX = 'test/integration/securityScopes.test.ts';

interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

interface Case {
  label: string;
  /** Expected status per keyed caller; no key and the revoked key always get 401. */
  expect: Record<Keyed, number>;
  /**
   * Callers that get a 2xx but must see and change nothing of A's (scope-filtered lists and bulk
   * actions). They run with the refused callers, before the state comparison.
   */
  scopedEmpty?: Keyed[];
  request: (who: Who) => Request;
  /** The rows (and workflows) the call would change: identical after every refused call. */
  state?: () => Promise<unknown>;
  /** Extra assertions on a 2xx answer. */
  check?: (who: Who, res: ApiResponse) => void;
}

interface RouteRow {
  /** `METHOD /path/{param}` exactly as in /openapi.json. */
  route: string;
  coveredBy?: string;
  cases?: () => Case[];
}

const is2xx = (s: number) => s >= 200 && s < 300;

describe('scope matrix: every documented route x 7 callers', () => {
  let stack: TestStack;
  let receiver: Receiver;
  const keys = {} as Record<Who, string | null>;
  /** What each side owns (ids, secrets, keys, call-id marker): never shown to the other side. */
  const privateOf = { A: [] as string[], B: [] as string[], A2: [] as string[], B2: [] as string[] };
  const ids = {} as {
    pA: string;
    pB: string;
    tA1: string;
    tA2: string;
    tB1: string;
    epA1: string;
    /** A1's delivered event, A2's delivered event, one of A's quarantined events. */
    evA1: string;
    evA2: string;
    evAq: string;
    /** Quarantined for naming both A1 and A2, then released to A1 by the matrix. */
    evAreleased: string;
    /** Dead-lettered deliveries of A1: three for the per-delivery redrive, two for the bulk one. */
    deadA1: string[];
    bulkA1: string[];
    /** The same for A2 (same partner, other tenant): tenant A1's key must not reach them. */
    deadA2: string[];
    bulkA2: string[];
    /** A's open quarantine items. */
    releaseA: string[];
    discardA: string[];
    crossReleaseA: string;
    runA: { id: string; workflow_id: string };
    runAll: string;
    incidentsA: string[];
    /** Portal links for tenant A1, for the revocation case. */
    linksA: string[];
    /** A's inbound source, and more of them for the deletes (one per allowed caller). */
    srcA: string;
    srcAdelete: string[];
  };
  // Calendar windows for the call log: W1/W2 hold one missing terminal call each; W3 is empty.
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000;
  const hour = (h: number) => new Date(base + h * 3_600_000).toISOString();
  const W1 = { from: hour(0), to: hour(1) };
  const W2 = { from: hour(1), to: hour(2) };
  const W3 = { from: hour(-24), to: hour(-23) };

  const call = (who: Who) => apiAs(stack, keys[who]);
  const SOURCE_TOKEN_A = 'tok_matrix_partner_a_source';
  const db = () => stack.core.database.db;

  async function workflowExists(workflowId: string): Promise<boolean> {
    try {
      await stack.temporal.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  beforeAll(async () => {
    stack = await startTestStack();
    // The receiver refuses (400, permanent) every call whose id says "dead": those dead-letter at once.
    receiver = await startReceiver((req) => (String((JSON.parse(req.body) as { call_id?: string }).call_id ?? '').includes('-dead-') ? { status: 400, body: 'refused' } : { status: 200 }));
    const admin = apiAs(stack, stack.adminKey);
    const A = (await admin.post('/v1/partners', { name: 'A' })).body;
    const B = (await admin.post('/v1/partners', { name: 'B' })).body;
    const tA1 = (await apiAs(stack, A.api_key).post('/v1/tenants', { name: 'A1', partner_tenant_ref: 'a1' })).body;
    const tA2 = (await apiAs(stack, A.api_key).post('/v1/tenants', { name: 'A2', partner_tenant_ref: 'a2' })).body;
    const tB1 = (await apiAs(stack, B.api_key).post('/v1/tenants', { name: 'B1', partner_tenant_ref: 'b1' })).body;
    const tB2 = (await apiAs(stack, B.api_key).post('/v1/tenants', { name: 'B2', partner_tenant_ref: 'b2' })).body;
    const endpoint = async (partnerKey: string, tenantId: string) => {
      const res = await apiAs(stack, partnerKey).post(`/v1/tenants/${tenantId}/endpoints`, { url: receiver.url });
      expect(res.status).toBe(201);
      return res.body as { id: string; secret: string };
    };
    const epA1 = await endpoint(A.api_key, tA1.id);
    const epA2 = await endpoint(A.api_key, tA2.id);
    const epB1 = await endpoint(B.api_key, tB1.id);
    const revoked = (await apiAs(stack, A.api_key).post('/v1/api-keys', { scope: 'partner' })).body;
    expect((await apiAs(stack, A.api_key).delete(`/v1/api-keys/${revoked.id}`)).status).toBe(200);
    Object.assign(keys, { none: null, revoked: revoked.api_key, admin: stack.adminKey, pA: A.api_key, pB: B.api_key, tA1: tA1.api_key, tB1: tB1.api_key });

    // Events: delivered, dead-lettered, quarantined (conflicting keys: tenant_id says X2, ref says X1).
    const ingest = async (p: { id: string; inbound_secret: string }, callId: string, extra: Record<string, unknown>) => {
      const res = await postEvent(stack.api, p.id, p.inbound_secret, { event: 'call.started', call_id: callId, occurred_at: new Date().toISOString(), data: {}, ...extra });
      expect(res.status).toBe(202);
      return (await res.json()) as { event_id: string; workflow_id: string };
    };
    const toA1 = { runtime_vars: { partner_tenant_ref: 'a1' } };
    const conflictA = { tenant_id: tA2.id, runtime_vars: { partner_tenant_ref: 'a1' } };
    const seeded = await Promise.all([
      ingest(A, 'callA-ok-1', toA1),
      ingest(A, 'callA-a2-ok-1', { runtime_vars: { partner_tenant_ref: 'a2' } }),
      ...[1, 2, 3].map((i) => ingest(A, `callA-a2-dead-${i}`, { runtime_vars: { partner_tenant_ref: 'a2' } })),
      ...[1, 2, 3, 4, 5].map((i) => ingest(A, `callA-dead-${i}`, toA1)),
      ...[1, 2, 3, 4, 5].map((i) => ingest(A, `callA-q-${i}`, conflictA)),
      ingest(B, 'callB-ok-1', { runtime_vars: { partner_tenant_ref: 'b1' } }),
      ingest(B, 'callB-dead-1', { runtime_vars: { partner_tenant_ref: 'b1' } }),
      ingest(B, 'callB-q-1', { tenant_id: tB2.id, runtime_vars: { partner_tenant_ref: 'b1' } }),
    ]);
    await Promise.all(seeded.map((s) => waitForWorkflowResult(stack, s.workflow_id)));

    // A's inbound sources (token scheme; the token is A's secret).
    const sourceOfA = async () => {
      const res = await apiAs(stack, A.api_key).post(`/v1/partners/${A.id}/sources`, { name: 'matrix', verification: { scheme: 'token' }, secret: SOURCE_TOKEN_A });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const [srcA, ...srcAdelete] = await Promise.all([sourceOfA(), sourceOfA(), sourceOfA(), sourceOfA()]);

    // Call logs and reconciliation runs: each run finds one missing terminal call -> one incident.
    const session = (callId: string, tenantId: string, w: { from: string }) => ({
      call_id: callId,
      tenant_id: tenantId,
      status: 'completed',
      started_at: w.from,
      ended_at: new Date(Date.parse(w.from) + 60_000).toISOString(),
    });
    const upA = await apiAs(stack, A.api_key).post(`/v1/partners/${A.id}/voice-sessions`, { sessions: [session('callA-recon-1', tA1.id, W1), session('callA-recon-2', tA1.id, W2)] });
    const upB = await apiAs(stack, B.api_key).post(`/v1/partners/${B.id}/voice-sessions`, { sessions: [session('callB-recon-1', tB1.id, W1)] });
    expect([upA.status, upB.status]).toEqual([200, 200]);
    const reconcile = async (key: string, body: Record<string, unknown>) => {
      const res = await apiAs(stack, key).post('/v1/reconciliations', body);
      expect(res.status).toBe(202);
      return res.body as { id: string; workflow_id: string };
    };
    const runs = await Promise.all([reconcile(A.api_key, W1), reconcile(A.api_key, W2), reconcile(B.api_key, W1), reconcile(stack.adminKey, W3)]);
    await Promise.all(runs.map((r) => waitForWorkflowResult(stack, r.workflow_id)));

    const events = await db().selectFrom('events').select(['id', 'partner_id', 'tenant_id', 'call_id', 'workflow_id']).execute();
    const deliveries = await db()
      .selectFrom('deliveries')
      .innerJoin('events', 'events.id', 'deliveries.event_id')
      .select(['deliveries.id', 'deliveries.status', 'deliveries.partner_id', 'deliveries.tenant_id', 'events.call_id'])
      .execute();
    const quarantine = await db().selectFrom('quarantine').innerJoin('events', 'events.id', 'quarantine.event_id').select(['quarantine.id', 'events.call_id', 'quarantine.event_id']).execute();
    const incidents = await db().selectFrom('incidents').select(['id', 'partner_id', 'reconciliation_run_id']).execute();
    const runRows = await db().selectFrom('reconciliation_runs').select(['id', 'workflow_id']).execute();
    const eventOf = (callId: string) => events.find((e) => e.call_id === callId)!.id;
    const deliveryOf = (callId: string) => {
      const d = deliveries.find((x) => x.call_id === callId)!;
      return d;
    };
    const quarantineOf = (callId: string) => quarantine.find((q) => q.call_id === callId)!.id;

    const deadA = [1, 2, 3, 4, 5].map((i) => deliveryOf(`callA-dead-${i}`));
    expect(deadA.map((d) => d.status)).toEqual(Array(5).fill('dead_lettered'));
    const deadA2 = [1, 2, 3].map((i) => deliveryOf(`callA-a2-dead-${i}`));
    expect(deadA2.map((d) => [d.status, d.tenant_id])).toEqual(Array(3).fill(['dead_lettered', tA2.id]));
    expect(deliveryOf('callB-dead-1').status).toBe('dead_lettered');
    expect(deliveryOf('callA-ok-1').status).toBe('delivered');
    expect(quarantine.map((q) => q.call_id).sort()).toEqual(['callA-q-1', 'callA-q-2', 'callA-q-3', 'callA-q-4', 'callA-q-5', 'callB-q-1']);
    expect(incidents.filter((i) => i.partner_id === A.id)).toHaveLength(2);
    expect(incidents.filter((i) => i.partner_id === B.id)).toHaveLength(1);

    // B has a portal link too, so each side's list is non-empty and must hold only its own.
    await createPortalLink(db(), B.id, tB1.id, 900);
    Object.assign(ids, {
      pA: A.id,
      pB: B.id,
      tA1: tA1.id,
      tA2: tA2.id,
      tB1: tB1.id,
      epA1: epA1.id,
      evA1: eventOf('callA-ok-1'),
      evA2: eventOf('callA-a2-ok-1'),
      evAq: eventOf('callA-q-5'),
      evAreleased: eventOf('callA-q-1'),
      deadA1: deadA.slice(0, 3).map((d) => d.id),
      bulkA1: deadA.slice(3).map((d) => d.id),
      deadA2: deadA2.slice(0, 2).map((d) => d.id),
      bulkA2: deadA2.slice(2).map((d) => d.id),
      releaseA: [quarantineOf('callA-q-1'), quarantineOf('callA-q-2')],
      discardA: [quarantineOf('callA-q-3'), quarantineOf('callA-q-4')],
      crossReleaseA: quarantineOf('callA-q-5'),
      runA: runs[0]!,
      runAll: runs[3]!.id,
      incidentsA: incidents.filter((i) => i.partner_id === A.id).map((i) => i.id),
      linksA: [(await createPortalLink(db(), A.id, tA1.id, 900)).id, (await createPortalLink(db(), A.id, tA1.id, 900)).id],
      srcA: srcA!,
      srcAdelete,
    });

    // Everything each side owns. Ids of rows are matched by owner, so nothing seeded is forgotten.
    const owned = (partnerId: string) => [
      ...events.filter((e) => e.partner_id === partnerId).flatMap((e) => [e.id, e.workflow_id]),
      ...deliveries.filter((d) => d.partner_id === partnerId).map((d) => d.id),
      ...incidents.filter((i) => i.partner_id === partnerId).map((i) => i.id),
    ];
    const runOf = (r: { id: string }) => [r.id, runRows.find((x) => x.id === r.id)!.workflow_id!];
    privateOf.A = [SOURCE_TOKEN_A, srcA!, ...srcAdelete, A.id, A.inbound_secret, A.api_key, revoked.api_key, tA1.id, tA1.api_key, tA2.id, tA2.api_key, epA1.id, epA1.secret, epA2.id, epA2.secret, ...quarantine.filter((q) => q.call_id.startsWith('callA-')).map((q) => q.id), ...owned(A.id), ...runOf(runs[0]!), ...runOf(runs[1]!), 'callA-'];
    privateOf.B = [B.id, B.inbound_secret, B.api_key, tB1.id, tB1.api_key, tB2.id, tB2.api_key, epB1.id, epB1.secret, ...quarantine.filter((q) => q.call_id.startsWith('callB-')).map((q) => q.id), ...owned(B.id), ...runOf(runs[2]!), 'callB-'];
    // What tenant A1 must not see of its own partner: the partner's secrets, A2's things, and the
    // quarantined events that are never released to A1 (q-1/q-2 are released to A1 by the matrix).
    const neverReleased = ['callA-q-3', 'callA-q-4', 'callA-q-5'];
    const a2Events = events.filter((e) => e.tenant_id === tA2.id || neverReleased.includes(e.call_id));
    privateOf.A2 = [A.inbound_secret, A.api_key, tA2.id, tA2.api_key, epA2.id, epA2.secret, ...a2Events.flatMap((e) => [e.id, e.workflow_id]), ...deliveries.filter((d) => d.tenant_id === tA2.id).map((d) => d.id), ...quarantine.filter((q) => neverReleased.includes(q.call_id)).map((q) => q.id), 'callA-a2-', ...neverReleased];
    privateOf.B2 = [B.inbound_secret, B.api_key, tB2.id, tB2.api_key, ...quarantine.filter((q) => q.call_id.startsWith('callB-')).map((q) => q.id), 'callB-q-'];
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  function forbiddenFor(who: Who): string[] {
    const always = [stack.adminKey];
    switch (who) {
      case 'admin':
        return [];
      case 'pA':
        return [...always, ...privateOf.B];
      case 'tA1':
        return [...always, ...privateOf.B, ...privateOf.A2];
      case 'pB':
        return [...always, ...privateOf.A];
      case 'tB1':
        return [...always, ...privateOf.A, ...privateOf.B2];
      default:
        return [...always, ...privateOf.A, ...privateOf.B];
    }
  }

  function assertNoLeak(label: string, who: Who, req: Request, res: ApiResponse) {
    if (res.status >= 400) expect({ label, who, keys: Object.keys(res.body ?? {}) }).toEqual({ label, who, keys: ['error'] });
    // A value the caller itself sent (an id in the path or body) is echoed at most, not leaked.
    const sent = `${req.path} ${JSON.stringify(req.body ?? null)}`;
    const leaked = forbiddenFor(who).filter((s) => !sent.includes(s) && res.text.includes(s));
    expect({ label, who, leaked }).toEqual({ label, who, leaked: [] });
  }

  /** Every row in a list answer belongs to the caller's scope, and the list is not empty. */
  function expectScopedRows(who: Who, rows: Array<{ partner_id: string; tenant_id?: string | null }>) {
    expect({ who, empty: rows.length === 0 }).toEqual({ who, empty: false });
    const partnerIds = new Set(rows.map((r) => r.partner_id));
    if (who === 'admin') expect(partnerIds).toEqual(new Set([ids.pA, ids.pB]));
    if (who === 'pA' || who === 'tA1') expect(partnerIds).toEqual(new Set([ids.pA]));
    if (who === 'pB' || who === 'tB1') expect(partnerIds).toEqual(new Set([ids.pB]));
    if (who === 'tA1') expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([ids.tA1]));
    if (who === 'tB1') expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([ids.tB1]));
  }

  /** Allowed callers take the pool in order; refused ones aim at pool[0], which must survive them. */
  /** Partner A's operations endpoints, created by the POST row and deleted by the DELETE row. */
  const opsEndpointsA: string[] = [];

  function pool(items: () => string[], allowed: Who[]) {
    let next = 0;
    return (who: Who) => (allowed.includes(who) ? items()[next++]! : items()[0]!);
  }

  const deliveryState = async (id: string) => {
    const d = await db().selectFrom('deliveries').select(['status', 'redrive_count', 'workflow_id', 'event_id', 'endpoint_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const ev = await db().selectFrom('events').select('workflow_id').where('id', '=', d.event_id).executeTakeFirstOrThrow();
    const firstRedrive = redriveWorkflowId(d.workflow_id ?? `${ev.workflow_id}:${d.endpoint_id}`, 1);
    return { status: d.status, redrive_count: d.redrive_count, redriveWorkflow: await workflowExists(firstRedrive) };
  };
  const quarantineState = async (id: string) => {
    const q = await db().selectFrom('quarantine').select(['status', 'released_tenant_id', 'event_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const ev = await db().selectFrom('events').select(['tenant_id', 'status', 'workflow_id']).where('id', '=', q.event_id).executeTakeFirstOrThrow();
    return { status: q.status, released: q.released_tenant_id, eventTenant: ev.tenant_id, eventStatus: ev.status, releaseWorkflow: await workflowExists(releaseWorkflowId(ev.workflow_id)) };
  };
  const count = async (table: 'voice_sessions' | 'reconciliation_runs', partnerId?: string) => {
    let q = db().selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
    if (partnerId) q = q.where('partner_id', '=', partnerId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };

  const PARTNER_ONLY_A = { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 };
  const ANY_A1 = { admin: 200, pA: 200, pB: 404, tA1: 200, tB1: 404 };
  const LIST_ANY = { admin: 200, pA: 200, pB: 200, tA1: 200, tB1: 200 };
  const LIST_PARTNER = { admin: 200, pA: 200, pB: 200, tA1: 403, tB1: 403 };

  const covered = (route: string, coveredBy: string): RouteRow => ({ route, coveredBy });

  /** A partner's sources: the partner key and the admin key only; another partner sees nothing (404). */
  const SOURCE_OF_A = { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 };
  const sourceCount = async () => Number((await db().selectFrom('sources').select((eb) => eb.fn.countAll<string>().as('n')).where('deleted_at', 'is', null).executeTakeFirstOrThrow()).n);
  const sourceRow = async () => db().selectFrom('sources').select(['name', 'verification', 'mapping', 'deleted_at']).where('id', '=', ids.srcA).executeTakeFirstOrThrow();
  const sourceSecretCount = async () => Number((await db().selectFrom('source_secrets').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const sourceRows = (): RouteRow[] => [
    {
      route: 'POST /v1/partners/{partner_id}/sources',
      cases: () => [
        {
          label: 'create a source for A',
          expect: { ...SOURCE_OF_A, admin: 201, pA: 201 },
          request: (w) => ({ method: 'POST', path: `/v1/partners/${ids.pA}/sources`, body: { name: `by ${w}`, verification: { scheme: 'basic', username: 'u' } } }),
          state: async () => [await sourceCount(), await sourceSecretCount()],
          check: (_w, res) => expect(res.body.partner_id).toBe(ids.pA),
        },
      ],
    },
    {
      route: 'GET /v1/partners/{partner_id}/sources',
      cases: () => [
        {
          label: "list A's sources",
          expect: SOURCE_OF_A,
          request: () => ({ method: 'GET', path: `/v1/partners/${ids.pA}/sources` }),
          check: (_w, res) => expect(new Set(res.body.data.map((s: { partner_id: string }) => s.partner_id))).toEqual(new Set([ids.pA])),
        },
      ],
    },
    {
      route: 'GET /v1/partners/{partner_id}/sources/{source_id}',
      cases: () => [
        { label: "A's source", expect: SOURCE_OF_A, request: () => ({ method: 'GET', path: `/v1/partners/${ids.pA}/sources/${ids.srcA}` }), check: (_w, res) => expect(res.body.id).toBe(ids.srcA) },
        { label: "A's source under B's path", expect: { admin: 404, pA: 404, pB: 404, tA1: 403, tB1: 403 }, request: () => ({ method: 'GET', path: `/v1/partners/${ids.pB}/sources/${ids.srcA}` }) },
      ],
    },
    {
      route: 'PATCH /v1/partners/{partner_id}/sources/{source_id}',
      cases: () => [
        {
          label: "rename A's source",
          expect: SOURCE_OF_A,
          request: (w) => ({ method: 'PATCH', path: `/v1/partners/${ids.pA}/sources/${ids.srcA}`, body: { name: `renamed by ${w}`, mapping: { event: '/type', call_id: '/id' } } }),
          state: sourceRow,
          check: (w, res) => expect(res.body.name).toBe(`renamed by ${w}`),
        },
      ],
    },
    {
      route: 'DELETE /v1/partners/{partner_id}/sources/{source_id}',
      cases: () => {
        const target = pool(() => ids.srcAdelete, ['admin', 'pA']);
        return [
          {
            label: "delete A's source",
            expect: { ...SOURCE_OF_A, admin: 204, pA: 204 },
            request: (w) => ({ method: 'DELETE', path: `/v1/partners/${ids.pA}/sources/${target(w)}` }),
            state: sourceCount,
          },
        ];
      },
    },
    {
      route: 'POST /v1/partners/{partner_id}/sources/{source_id}/rotate-secret',
      cases: () => [
        {
          label: "rotate A's source secret",
          expect: SOURCE_OF_A,
          request: (w) => ({ method: 'POST', path: `/v1/partners/${ids.pA}/sources/${ids.srcA}/rotate-secret`, body: { secret: `tok_rotated_by_${w}`, grace_period_seconds: 60 } }),
          state: sourceSecretCount,
          check: (w, res) => expect(res.body.secret).toBe(`tok_rotated_by_${w}`),
        },
      ],
    },
    {
      route: 'POST /v1/partners/{partner_id}/sources/{source_id}/test',
      cases: () => [
        {
          label: "dry run on A's source",
          expect: SOURCE_OF_A,
          // Stores nothing for anyone (sourcesIngest.test.ts checks that), so there is no state to compare.
          request: () => ({ method: 'POST', path: `/v1/partners/${ids.pA}/sources/${ids.srcA}/test`, body: { body: '{"type":"call.ended","id":"c1"}', headers: { authorization: `Bearer ${SOURCE_TOKEN_A}` } } }),
          check: (_w, res) => expect(res.body).toMatchObject({ verified: true, outcome: 'accepted', event: { event: 'call.ended', call_id: 'c1' } }),
        },
      ],
    },
    {
      route: 'GET /v1/partners/{partner_id}/sources/{source_id}/receipts',
      cases: () => [{ label: "A's source receipts", expect: SOURCE_OF_A, request: () => ({ method: 'GET', path: `/v1/partners/${ids.pA}/sources/${ids.srcA}/receipts` }) }],
    },
    {
      route: 'GET /v1/partners/{partner_id}/ingest-refusals',
      cases: () => [
        {
          label: "A's ingest refusals",
          expect: SOURCE_OF_A,
          request: () => ({ method: 'GET', path: `/v1/partners/${ids.pA}/ingest-refusals?status=401` }),
          check: (_w, res) => expect(res.body.data.every((r: { partner_id: string }) => r.partner_id === ids.pA)).toBe(true),
        },
      ],
    },
  ];

  const ROUTES: RouteRow[] = [
    // Tenancy API: its own 8-caller matrix.
    ...[
      'POST /v1/partners',
      'GET /v1/partners',
      'GET /v1/partners/{partner_id}',
      'POST /v1/partners/{partner_id}/rotate-secret',
      'POST /v1/tenants',
      'GET /v1/tenants',
      'GET /v1/tenants/{tenant_id}',
      'PATCH /v1/tenants/{tenant_id}',
      'DELETE /v1/tenants/{tenant_id}',
      'POST /v1/tenants/{tenant_id}/routes',
      'GET /v1/tenants/{tenant_id}/routes',
      'DELETE /v1/tenants/{tenant_id}/routes/{route_id}',
      'POST /v1/tenants/{tenant_id}/endpoints',
      'GET /v1/tenants/{tenant_id}/endpoints',
      'GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}',
      'PATCH /v1/tenants/{tenant_id}/endpoints/{endpoint_id}',
      'DELETE /v1/tenants/{tenant_id}/endpoints/{endpoint_id}',
      'POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret',
      'POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test',
      'GET /v1/api-keys',
      'POST /v1/api-keys',
      'DELETE /v1/api-keys/{key_id}',
    ].map((r) => covered(r, TENANCY_MATRIX)),
    // Signature-authenticated ingest and the public routes.
    ...['POST /v1/webhooks/{partner_id}', 'GET /v1/event-types', 'GET /metrics', 'GET /healthz', 'GET /readyz'].map((r) => covered(r, PUBLIC_MATRIX)),
    // Ingest through a source: authenticated by the source's own scheme, not an API key.
    covered('POST /v1/sources/{source_id}/events', 'test/integration/sourcesIngest.test.ts'),
    ...sourceRows(),

    // Console sign-in exchanges a key or portal token in the body (no Authorization): its own tests.
    covered('POST /v1/console/sessions', 'test/integration/consoleSessions.test.ts'),
    {
      route: 'GET /v1/console/session',
      cases: () => [
        {
          label: 'who am I (a key: no session, no CSRF token)',
          expect: LIST_ANY,
          request: () => ({ method: 'GET', path: '/v1/console/session' }),
          check: (w, res) => expect(res.body).toMatchObject({ principal: { kind: w === 'admin' ? 'admin' : w.startsWith('p') ? 'partner' : 'tenant', via: 'api_key' }, csrf_token: null }),
        },
      ],
    },
    {
      route: 'DELETE /v1/console/session',
      cases: () => [
        {
          label: 'sign-out with a key (no session to end)',
          expect: { admin: 404, pA: 404, pB: 404, tA1: 404, tB1: 404 },
          request: () => ({ method: 'DELETE', path: '/v1/console/session' }),
        },
      ],
    },
    {
      route: 'POST /v1/portal-links',
      cases: () => [
        {
          label: 'portal link for tenant A1',
          expect: { admin: 201, pA: 201, pB: 404, tA1: 403, tB1: 403 },
          request: () => ({ method: 'POST', path: '/v1/portal-links', body: { tenant_id: ids.tA1 } }),
          state: async () => (await db().selectFrom('portal_links').select('id').where('tenant_id', '=', ids.tA1).execute()).length,
          check: (_w, res) => expect(res.body).toMatchObject({ tenant_id: ids.tA1, partner_id: ids.pA, url: expect.stringContaining('/console/#portal=pl_') }),
        },
      ],
    },
    {
      route: 'GET /v1/portal-links',
      cases: () => [
        {
          label: 'portal links in scope',
          expect: LIST_PARTNER,
          request: () => ({ method: 'GET', path: '/v1/portal-links' }),
          check: (w, res) => {
            expectScopedRows(w, res.body.data);
            expect(JSON.stringify(res.body)).not.toMatch(/"token"|pl_[A-Za-z0-9_-]{40}/);
          },
        },
      ],
    },
    {
      route: 'DELETE /v1/portal-links/{portal_link_id}',
      cases: () => {
        const target = pool(() => ids.linksA, ['admin', 'pA']);
        return [
          {
            label: "revoke A1's portal link",
            expect: { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 },
            request: (w) => ({ method: 'DELETE', path: `/v1/portal-links/${target(w)}` }),
            state: async () => db().selectFrom('portal_links').select('revoked_at').where('id', '=', ids.linksA[0]!).executeTakeFirstOrThrow(),
            check: (_w, res) => expect(res.body).toMatchObject({ tenant_id: ids.tA1, revoked_at: expect.any(String) }),
          },
        ];
      },
    },
    {
      route: 'GET /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats',
      cases: () => [
        {
          label: "A1's endpoint health",
          expect: ANY_A1,
          request: () => ({ method: 'GET', path: `/v1/tenants/${ids.tA1}/endpoints/${ids.epA1}/stats` }),
          check: (_w, res) => {
            expect(res.body).toMatchObject({ endpoint_id: ids.epA1, hours: 24 });
            expect(res.body.buckets).toHaveLength(24);
            expect(res.body.attempts).toBeGreaterThan(0);
          },
        },
      ],
    },
    {
      route: 'POST /v1/tenants/{tenant_id}/filters/test',
      cases: () => [
        {
          label: "test a payload filter against tenant A1's stored event",
          expect: ANY_A1,
          request: () => ({ method: 'POST', path: `/v1/tenants/${ids.tA1}/filters/test`, body: { filter: { tenant_id: ids.tA1 }, event_id: ids.evA1 } }),
          check: (_w, res) => expect(res.body).toMatchObject({ matches: true, document: { id: ids.evA1, tenant_id: ids.tA1 } }),
        },
        {
          label: "tenant A2's event through tenant A1's path: not found for everyone",
          expect: { admin: 404, pA: 404, pB: 404, tA1: 404, tB1: 404 },
          request: () => ({ method: 'POST', path: `/v1/tenants/${ids.tA1}/filters/test`, body: { filter: { type: 'call.ended' }, event_id: ids.evA2 } }),
        },
      ],
    },
    {
      route: 'GET /v1/deliveries',
      cases: () => [
        {
          label: 'all deliveries in scope',
          expect: LIST_ANY,
          request: () => ({ method: 'GET', path: '/v1/deliveries' }),
          check: (w, res) => expectScopedRows(w, res.body.data),
        },
        {
          label: 'filtered to tenant A1',
          expect: LIST_ANY,
          scopedEmpty: ['pB', 'tB1'],
          request: () => ({ method: 'GET', path: `/v1/deliveries?tenant_id=${ids.tA1}` }),
          check: (w, res) => (['pB', 'tB1'].includes(w) ? expect(res.body.data).toEqual([]) : expectScopedRows(w === 'admin' ? 'tA1' : w, res.body.data)),
        },
        {
          label: "filtered to A1's endpoint",
          expect: LIST_ANY,
          scopedEmpty: ['pB', 'tB1'],
          request: () => ({ method: 'GET', path: `/v1/deliveries?endpoint_id=${ids.epA1}&status=dead_lettered` }),
          check: (w, res) => (['pB', 'tB1'].includes(w) ? expect(res.body.data).toEqual([]) : expectScopedRows(w === 'admin' ? 'tA1' : w, res.body.data)),
        },
      ],
    },
    {
      route: 'POST /v1/deliveries/{delivery_id}/redrive',
      cases: () => {
        const target = pool(() => ids.deadA1, ['admin', 'pA', 'tA1']);
        const targetA2 = pool(() => ids.deadA2, ['admin', 'pA']);
        return [
          {
            label: "redrive A1's dead-lettered delivery",
            expect: { admin: 202, pA: 202, pB: 404, tA1: 202, tB1: 404 },
            request: (w) => ({ method: 'POST', path: `/v1/deliveries/${target(w)}/redrive` }),
            state: () => deliveryState(ids.deadA1[0]!),
            check: (_w, res) => expect(res.body).toMatchObject({ redriven: true }),
          },
          {
            label: "redrive A2's dead-lettered delivery (tenant A1's key must not)",
            expect: { admin: 202, pA: 202, pB: 404, tA1: 404, tB1: 404 },
            request: (w) => ({ method: 'POST', path: `/v1/deliveries/${targetA2(w)}/redrive` }),
            state: () => deliveryState(ids.deadA2[0]!),
            check: (_w, res) => expect(res.body).toMatchObject({ redriven: true }),
          },
        ];
      },
    },
    {
      route: 'POST /v1/deliveries/redrive',
      cases: () => [
        {
          label: "bulk redrive of tenant A1's dead letters",
          expect: { admin: 202, pA: 202, pB: 202, tA1: 202, tB1: 202 },
          scopedEmpty: ['pB', 'tB1'],
          request: () => ({ method: 'POST', path: '/v1/deliveries/redrive', body: { tenant_id: ids.tA1 } }),
          // The rows reserved for this case; earlier redrives may still be running on others.
          state: async () => Promise.all(ids.bulkA1.map(deliveryState)),
          check: (w, res) => {
            if (w === 'pB' || w === 'tB1') expect(res.body.data).toEqual([]);
          },
        },
        {
          label: "bulk redrive of tenant A2's dead letters (tenant A1's key must redrive none)",
          expect: { admin: 202, pA: 202, pB: 202, tA1: 202, tB1: 202 },
          scopedEmpty: ['pB', 'tA1', 'tB1'],
          request: () => ({ method: 'POST', path: '/v1/deliveries/redrive', body: { tenant_id: ids.tA2 } }),
          state: async () => Promise.all(ids.bulkA2.map(deliveryState)),
          check: (w, res) => {
            if (w === 'pB' || w === 'tA1' || w === 'tB1') expect(res.body.data).toEqual([]);
          },
        },
      ],
    },
    {
      route: 'GET /v1/quarantine',
      cases: () => [
        {
          label: 'quarantine list',
          expect: LIST_PARTNER,
          request: () => ({ method: 'GET', path: '/v1/quarantine' }),
          check: (w, res) => expectScopedRows(w, res.body.data),
        },
      ],
    },
    {
      route: 'POST /v1/quarantine/{quarantine_id}/release',
      cases: () => {
        const target = pool(() => ids.releaseA, ['admin', 'pA']);
        return [
          {
            label: "release A's quarantined event to B1 (another partner's tenant)",
            expect: { admin: 422, pA: 422, pB: 404, tA1: 403, tB1: 403 },
            request: () => ({ method: 'POST', path: `/v1/quarantine/${ids.crossReleaseA}/release`, body: { tenant_id: ids.tB1 } }),
            state: () => quarantineState(ids.crossReleaseA),
          },
          {
            label: "release A's quarantined event to A1",
            expect: { admin: 202, pA: 202, pB: 404, tA1: 403, tB1: 403 },
            request: (w) => ({ method: 'POST', path: `/v1/quarantine/${target(w)}/release`, body: { tenant_id: ids.tA1 } }),
            state: () => quarantineState(ids.releaseA[0]!),
            check: (_w, res) => expect(res.body).toMatchObject({ status: 'released', tenant_id: ids.tA1 }),
          },
        ];
      },
    },
    {
      route: 'POST /v1/quarantine/{quarantine_id}/discard',
      cases: () => {
        const target = pool(() => ids.discardA, ['admin', 'pA']);
        return [
          {
            label: "discard A's quarantined event",
            expect: { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 },
            request: (w) => ({ method: 'POST', path: `/v1/quarantine/${target(w)}/discard` }),
            state: () => quarantineState(ids.discardA[0]!),
            check: (_w, res) => expect(res.body).toMatchObject({ status: 'discarded' }),
          },
        ];
      },
    },
    {
      route: 'GET /v1/events/{event_id}',
      cases: () => [
        {
          label: "A1's delivered event",
          expect: ANY_A1,
          request: () => ({ method: 'GET', path: `/v1/events/${ids.evA1}` }),
          check: (_w, res) => expect([res.body.id, res.body.tenant_id, res.body.deliveries.length]).toEqual([ids.evA1, ids.tA1, 1]),
        },
        {
          label: "A2's event (same partner, other tenant)",
          expect: { admin: 200, pA: 200, pB: 404, tA1: 404, tB1: 404 },
          request: () => ({ method: 'GET', path: `/v1/events/${ids.evA2}` }),
        },
        {
          // Runs after the quarantine rows: the matrix released q-1 to A1. Its conflict named A2.
          label: "A's event released from quarantine to A1",
          expect: ANY_A1,
          request: () => ({ method: 'GET', path: `/v1/events/${ids.evAreleased}` }),
          check: (w, res) => {
            expect(res.body.tenant_id).toBe(ids.tA1);
            const quarantined = res.body.checkpoints.find((c: { stage: string }) => c.stage === 'quarantined');
            // The partner (and operator) see the whole conflict; the tenant only its reason.
            if (w === 'tA1') expect(quarantined.detail).toEqual({ reason: 'conflicting_keys' });
            else expect(quarantined.detail.candidates.map((c: { tenant_id: string }) => c.tenant_id).sort()).toEqual([ids.tA1, ids.tA2].sort());
          },
        },
        {
          label: "A's quarantined event (no tenant yet)",
          expect: { admin: 200, pA: 200, pB: 404, tA1: 404, tB1: 404 },
          request: () => ({ method: 'GET', path: `/v1/events/${ids.evAq}` }),
        },
      ],
    },
    {
      route: 'POST /v1/partners/{partner_id}/voice-sessions',
      cases: () => [
        {
          label: "upload to A's call log",
          // Another partner's path is refused before the partner is looked up (documented 403).
          expect: { admin: 200, pA: 200, pB: 403, tA1: 403, tB1: 403 },
          request: (w) => ({ method: 'POST', path: `/v1/partners/${ids.pA}/voice-sessions`, body: { sessions: [{ call_id: `vs-matrix-${w}`, status: 'in_progress' }] } }),
          state: () => count('voice_sessions', ids.pA),
          check: (_w, res) => expect(res.body).toMatchObject({ inserted: 1, rejected: 0 }),
        },
        {
          label: "A's call log naming tenant B1",
          expect: { admin: 422, pA: 422, pB: 403, tA1: 403, tB1: 403 },
          request: (w) => ({ method: 'POST', path: `/v1/partners/${ids.pA}/voice-sessions`, body: { sessions: [{ call_id: `vs-cross-${w}`, tenant_id: ids.tB1, status: 'in_progress' }] } }),
          state: async () => [await count('voice_sessions', ids.pA), await count('voice_sessions', ids.pB)],
        },
      ],
    },
    {
      route: 'POST /v1/reconciliations',
      cases: () => [
        {
          label: 'reconcile partner A',
          expect: { admin: 202, pA: 202, pB: 403, tA1: 403, tB1: 403 },
          request: () => ({ method: 'POST', path: '/v1/reconciliations', body: { ...W3, partner_id: ids.pA } }),
          state: () => count('reconciliation_runs'),
          check: (_w, res) => expect(res.body.partner_id).toBe(ids.pA),
        },
      ],
    },
    {
      route: 'GET /v1/reconciliations',
      cases: () => [
        {
          label: 'runs in scope',
          expect: LIST_PARTNER,
          request: () => ({ method: 'GET', path: '/v1/reconciliations' }),
          check: (w, res) => {
            const owners = new Set(res.body.data.map((r: { partner_id: string | null }) => r.partner_id));
            if (w === 'admin') expect(owners).toEqual(new Set([ids.pA, ids.pB, null]));
            if (w === 'pA') expect(owners).toEqual(new Set([ids.pA]));
            if (w === 'pB') expect(owners).toEqual(new Set([ids.pB]));
            if (w === 'pA') expect(res.body.data.map((r: { id: string }) => r.id)).toContain(ids.runA.id);
          },
        },
        {
          label: "partner A's runs by name",
          expect: { admin: 200, pA: 200, pB: 403, tA1: 403, tB1: 403 },
          request: () => ({ method: 'GET', path: `/v1/reconciliations?partner_id=${ids.pA}` }),
          check: (_w, res) => expect(new Set(res.body.data.map((r: { partner_id: string }) => r.partner_id))).toEqual(new Set([ids.pA])),
        },
      ],
    },
    {
      route: 'GET /v1/reconciliations/{id}',
      cases: () => [
        {
          label: "A's run by id",
          expect: PARTNER_ONLY_A,
          request: () => ({ method: 'GET', path: `/v1/reconciliations/${ids.runA.id}` }),
          check: (_w, res) => expect([res.body.partner_id, res.body.incidents.length]).toEqual([ids.pA, 1]),
        },
        {
          label: "A's run by workflow id",
          expect: PARTNER_ONLY_A,
          request: () => ({ method: 'GET', path: `/v1/reconciliations/${ids.runA.workflow_id}` }),
        },
        {
          label: 'a run over all partners (operator only)',
          expect: { admin: 200, pA: 404, pB: 404, tA1: 403, tB1: 403 },
          request: () => ({ method: 'GET', path: `/v1/reconciliations/${ids.runAll}` }),
        },
      ],
    },
    {
      route: 'GET /v1/incidents',
      cases: () => [
        {
          label: 'incident list',
          expect: LIST_PARTNER,
          request: () => ({ method: 'GET', path: '/v1/incidents' }),
          check: (w, res) => expectScopedRows(w, res.body.data),
        },
        {
          label: 'incident list for partner A',
          expect: { admin: 200, pA: 200, pB: 403, tA1: 403, tB1: 403 },
          request: () => ({ method: 'GET', path: `/v1/incidents?partner_id=${ids.pA}` }),
          check: (w, res) => expectScopedRows(w === 'admin' ? 'pA' : w, res.body.data),
        },
      ],
    },
    {
      route: 'POST /v1/incidents/{id}/resolve',
      cases: () => {
        const target = pool(() => ids.incidentsA, ['admin', 'pA']);
        return [
          {
            label: "resolve A's incident",
            expect: { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 },
            request: (w) => ({ method: 'POST', path: `/v1/incidents/${target(w)}/resolve`, body: { note: `by ${w}` } }),
            state: async () => db().selectFrom('incidents').select(['status', 'resolution_note']).where('id', '=', ids.incidentsA[0]!).executeTakeFirstOrThrow(),
            check: (w, res) => expect(res.body).toMatchObject({ status: 'resolved', resolution_note: `by ${w}`, partner_id: ids.pA }),
          },
        ];
      },
    },
    {
      route: 'GET /v1/operational-events',
      cases: () => [
        {
          label: 'operational events in scope',
          expect: LIST_ANY,
          request: () => ({ method: 'GET', path: '/v1/operational-events?limit=500' }),
          check: (w, res) => {
            expectScopedRows(w, res.body.data);
            const types = new Set(res.body.data.map((r: { type: string }) => r.type));
            const expected = w === 'tA1' || w === 'tB1' ? ['delivery.dead_lettered'] : ['delivery.dead_lettered', 'event.quarantined', 'incident.raised'];
            for (const t of expected) expect({ w, t, emitted: types.has(t) }).toEqual({ w, t, emitted: true });
          },
        },
        {
          label: "A1's dead letters",
          expect: LIST_ANY,
          scopedEmpty: ['pB', 'tB1'],
          request: () => ({ method: 'GET', path: `/v1/operational-events?type=delivery.dead_lettered&tenant_id=${ids.tA1}` }),
          check: (w, res) => {
            if (['pB', 'tB1'].includes(w)) return expect(res.body.data).toEqual([]);
            expectScopedRows(w === 'admin' || w === 'pA' ? 'tA1' : w, res.body.data);
            expect(res.body.data.every((r: { type: string }) => r.type === 'delivery.dead_lettered')).toBe(true);
          },
        },
      ],
    },
    {
      route: 'POST /v1/operations-endpoints',
      cases: () => [
        {
          label: "an operations endpoint for partner A",
          expect: { admin: 201, pA: 201, pB: 404, tA1: 403, tB1: 403 },
          request: () => ({ method: 'POST', path: '/v1/operations-endpoints', body: { url: 'http://127.0.0.1:9/ops', partner_id: ids.pA } }),
          state: async () => db().selectFrom('endpoints').select('id').where('partner_id', '=', ids.pA).where('purpose', '=', 'operations').orderBy('id').execute(),
          check: (_w, res) => {
            expect(res.body).toMatchObject({ tenant_id: null, purpose: 'operations' });
            opsEndpointsA.push(res.body.id as string);
          },
        },
      ],
    },
    {
      route: 'GET /v1/operations-endpoints',
      cases: () => [
        {
          label: "partner A's operations endpoints",
          expect: { admin: 200, pA: 200, pB: 404, tA1: 403, tB1: 403 },
          request: () => ({ method: 'GET', path: `/v1/operations-endpoints?partner_id=${ids.pA}` }),
          check: (_w, res) => expect(res.body.data.map((e: { id: string }) => e.id).sort()).toEqual([...opsEndpointsA].sort()),
        },
      ],
    },
    {
      route: 'DELETE /v1/operations-endpoints/{endpoint_id}',
      cases: () => {
        const target = pool(() => opsEndpointsA, ['admin', 'pA']);
        return [
          {
            label: "delete an operations endpoint of partner A",
            expect: { admin: 204, pA: 204, pB: 404, tA1: 403, tB1: 403 },
            request: (w) => ({ method: 'DELETE', path: `/v1/operations-endpoints/${target(w)}?partner_id=${ids.pA}` }),
            state: async () => db().selectFrom('endpoints').select(['id', 'deleted_at']).where('id', '=', opsEndpointsA[0]!).executeTakeFirstOrThrow(),
          },
        ];
      },
    },
    {
      // Last: by now the rows above have redriven, released, discarded and resolved A's things.
      route: 'GET /v1/audit-log',
      cases: () => [
        {
          label: 'audit log in scope',
          expect: LIST_PARTNER,
          request: () => ({ method: 'GET', path: '/v1/audit-log?limit=500' }),
          check: (w, res) => {
            const rows = res.body.data as Array<{ partner_id: string | null; action: string }>;
            // The admin's reconciliation of every partner names none: only the admin sees it.
            if (w === 'admin') expect(new Set(rows.map((r) => r.partner_id))).toEqual(new Set([ids.pA, ids.pB, null]));
            else expectScopedRows(w, rows as Array<{ partner_id: string }>);
            if (w === 'admin' || w === 'pA') {
              const actions = new Set(rows.filter((r) => r.partner_id === ids.pA).map((r) => r.action));
              for (const a of ['delivery.redriven', 'quarantine.released', 'quarantine.discarded', 'reconciliation.started', 'incident.resolved']) expect({ w, a, recorded: actions.has(a) }).toEqual({ w, a, recorded: true });
            }
          },
        },
        {
          label: "partner A's audit log",
          expect: { admin: 200, pA: 200, pB: 403, tA1: 403, tB1: 403 },
          request: () => ({ method: 'GET', path: `/v1/audit-log?partner_id=${ids.pA}&action=incident.resolved` }),
          check: (w, res) => {
            expectScopedRows(w === 'admin' ? 'pA' : w, res.body.data);
            expect(res.body.data.every((r: { action: string }) => r.action === 'incident.resolved')).toBe(true);
          },
        },
      ],
    },
  ];

  function templateMatches(route: string, req: Request): boolean {
    const [method, template] = route.split(' ') as [string, string];
    const re = new RegExp(`^${template.replace(/\{[A-Za-z_]+\}/g, '[^/?]+')}(\\?.*)?$`);
    return method === req.method && re.test(req.path);
  }

  it('every operation in /openapi.json has a scope decision in the table (and nothing else is in it)', async () => {
    const doc = (await call('none').get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.length).toBeGreaterThan(30);
    const inTable = ROUTES.map((r) => r.route);
    expect(documented.filter((r) => !inTable.includes(r))).toEqual([]);
    expect(inTable.filter((r) => !documented.includes(r))).toEqual([]);
    expect(new Set(inTable).size).toBe(inTable.length);
    for (const row of ROUTES) {
      expect({ route: row.route, decided: !!row.coveredBy !== !!row.cases }).toEqual({ route: row.route, decided: true });
      if (row.coveredBy) {
        // "Covered by" must name a matrix that actually calls this path.
        const source = readFileSync(path.join(__dirname, '../..', row.coveredBy), 'utf8');
        const pathRe = new RegExp(row.route.split(' ')[1]!.replace(/\{[A-Za-z_]+\}/g, '[^/\'"`\\s]+'));
        expect({ route: row.route, file: row.coveredBy, calls: pathRe.test(source) }).toEqual({ route: row.route, file: row.coveredBy, calls: true });
      }
    }
  });

  it('every uncovered route x every caller: only the intended succeed, refused calls change nothing, nothing leaks', async () => {
    let calls = 0;
    for (const row of ROUTES.filter((r) => r.cases)) {
      for (const c of row.cases!()) {
        const label = `${row.route} — ${c.label}`;
        const want = (w: Who) => (w === 'none' || w === 'revoked' ? 401 : c.expect[w]);
        const quiet = EVERYONE.filter((w) => !is2xx(want(w)) || c.scopedEmpty?.includes(w as Keyed));
        const acting = EVERYONE.filter((w) => !quiet.includes(w));
        const run = async (who: Who) => {
          const req = c.request(who);
          expect({ label, request: `${req.method} ${req.path}`, matches: templateMatches(row.route, req) }).toEqual({ label, request: `${req.method} ${req.path}`, matches: true });
          const res = await call(who).raw(req.method, req.path, req.body === undefined ? undefined : JSON.stringify(req.body));
          calls++;
          expect({ label, who, status: res.status }).toEqual({ label, who, status: want(who) });
          assertNoLeak(label, who, req, res);
          if (is2xx(res.status)) c.check?.(who, res);
        };
        const before = await c.state?.();
        for (const who of quiet) await run(who);
        if (c.state) expect({ label, after: 'refused callers', state: await c.state() }).toEqual({ label, after: 'refused callers', state: before });
        for (const who of acting) await run(who);
        // The state probe is not blind: the intended callers did change it.
        if (c.state && acting.length > 0) expect({ label, changedByIntended: JSON.stringify(await c.state()) !== JSON.stringify(before) }).toEqual({ label, changedByIntended: true });
      }
    }
    const caseCount = ROUTES.flatMap((r) => r.cases?.() ?? []).length;
    expect(calls).toBe(caseCount * EVERYONE.length);
  });

  it("B's keys see only B's rows in every list (and A's keys only A's); admin sees both", async () => {
    for (const who of ['admin', 'pA', 'pB', 'tA1', 'tB1'] as const) {
      const deliveries = await call(who).get('/v1/deliveries');
      expectScopedRows(who, deliveries.body.data);
      assertNoLeak('GET /v1/deliveries', who, { method: 'GET', path: '/v1/deliveries' }, deliveries);
      if (who === 'tA1' || who === 'tB1') continue;
      for (const p of ['/v1/quarantine', '/v1/incidents']) {
        const res = await call(who).get(p);
        expectScopedRows(who, res.body.data);
        assertNoLeak(`GET ${p}`, who, { method: 'GET', path: p }, res);
      }
    }
    // A filter naming the other side's rows yields nothing, not an error that confirms they exist.
    expect((await call('tA1').get(`/v1/deliveries?tenant_id=${ids.tA2}`)).body.data).toEqual([]);
    expect((await call('pB').get(`/v1/quarantine?status=open`)).body.data.every((q: { partner_id: string }) => q.partner_id === ids.pB)).toBe(true);
  });
});
