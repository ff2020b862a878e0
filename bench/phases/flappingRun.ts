import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { SecretBox } from '../../src/crypto/secretBox';
import { connectDatabase } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { secretKeyBytes } from '../../src/signing/webhookSecret';
import { insertEndpoint } from '../../src/tenancy/endpoints';
import { createPartner } from '../../src/tenancy/partners';
import { createTenant, insertRoute } from '../../src/tenancy/tenants';

/**
 * The flapping-endpoint phase (issue 17): 20 events to an endpoint that answers 500 to each
 * message's first two attempts and 200 to the third. The retry schedule alone delivers each one
 * at its third attempt, initial interval + initial x coefficient after ingest (5 s + 30 s by
 * default); the circuit breaker must not add more than half of that (ratio max/expected <= 1.5).
 *
 * BENCH_FLAPPING_TIME_SCALE (default 1) shrinks every duration the phase's stack uses alike (retry
 * interval, circuit window and cool-down), so the ratio is the full-scale one in less time.
 */
export interface FlappingPhaseDeps {
  /** A connection URL for a fresh database of this name on the bench's Postgres (created here). */
  databaseUrl: (name: string) => string;
  box: SecretBox;
  /** Env the bench's Switchboard processes share (Temporal address, keys, ...), without DATABASE_URL. */
  baseEnv: Record<string, string>;
  /** Starts `switchboard <role>` with this env and waits until it is ready; returns how to stop it. */
  startSwitchboard: (role: 'server' | 'worker', env: Record<string, string>) => Promise<{ stop: () => Promise<void> }>;
  freePort: () => Promise<number>;
  log: (line: string) => void;
}

export interface FlappingResult {
  events: number;
  timeScale: number;
  expectedMs: number;
  delivered: number;
  p50Ms: number;
  maxMs: number;
  ratioMaxToExpected: number;
  /** First attempt to delivered, per event, sorted (what the ratio is about). */
  perEventMs: number[];
  /** Ingest to delivered, per event, sorted. */
  fromIngestMs: number[];
}

const EVENTS = 20;
const FULL_SCALE = { initialIntervalMs: 5_000, backoffCoefficient: 6, circuitOpenMs: 60_000, circuitWindowMs: 60_000 };

export async function runFlappingPhase(deps: FlappingPhaseDeps): Promise<FlappingResult> {
  const scale = Number(process.env['BENCH_FLAPPING_TIME_SCALE'] ?? '1');
  const initialIntervalMs = Math.round(FULL_SCALE.initialIntervalMs * scale);
  const expectedMs = initialIntervalMs + initialIntervalMs * FULL_SCALE.backoffCoefficient;
  deps.log(`flapping: ${EVENTS} events, each failing its first two attempts; retry schedule alone: ${expectedMs} ms (time scale ${scale})`);

  const receiver = await startFlappingReceiver();
  const db = await prepareDatabase(deps, receiver.url);
  const env = {
    ...deps.baseEnv,
    DATABASE_URL: db.url,
    // Its own task queue: the e2e phases' worker (another database) still polls the default one
    // on the same Temporal server, and would take this phase's tasks.
    TEMPORAL_TASK_QUEUE: 'bench-flapping',
    DELIVERY_INITIAL_INTERVAL: `${initialIntervalMs}ms`,
    DELIVERY_BACKOFF_COEFFICIENT: String(FULL_SCALE.backoffCoefficient),
    CIRCUIT_OPEN_DURATION: `${Math.round(FULL_SCALE.circuitOpenMs * scale)}ms`,
    CIRCUIT_WINDOW: `${Math.round(FULL_SCALE.circuitWindowMs * scale)}ms`,
  };
  const apiPort = await deps.freePort();
  const server = await deps.startSwitchboard('server', { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
  const worker = await deps.startSwitchboard('worker', { ...env, WORKER_METRICS_PORT: String(await deps.freePort()) });
  try {
    const sentAt = await sendEvents(`http://127.0.0.1:${apiPort}/v1/webhooks/${db.partnerId}`, db.inboundSecret);
    const deadline = Date.now() + Math.max(10 * expectedMs, 120_000);
    while (receiver.deliveredAt.size < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    return summarise(sentAt, receiver, expectedMs, scale, deps.log);
  } finally {
    await worker.stop();
    await server.stop();
    receiver.close();
  }
}

/** A receiver that answers 500 to a message's first two attempts (by webhook-id) and 200 after. */
async function startFlappingReceiver() {
  const attempts = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  const firstAttemptAt = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (n === 1) firstAttemptAt.set(id, Date.now());
      if (n >= 3 && !deliveredAt.has(id)) deliveredAt.set(id, Date.now());
      res.writeHead(n >= 3 ? 200 : 500, { 'content-type': 'text/plain' }).end(n >= 3 ? 'ok' : 'flapping');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, deliveredAt, firstAttemptAt, close: () => server.close() };
}

async function prepareDatabase(deps: FlappingPhaseDeps, endpointUrl: string) {
  const name = 'bench_flapping';
  const admin = connectDatabase(deps.databaseUrl('postgres'), 1);
  await sql.raw(`create database ${name}`).execute(admin.db);
  await admin.close();
  const url = deps.databaseUrl(name);
  const database = connectDatabase(url, 2);
  try {
    await migrateToLatest(database.db);
    const partner = await createPartner(database.db, deps.box, { name: 'Flapping Partner' });
    const tenant = await createTenant(database.db, partner.id, { name: 'Flapping Tenant' });
    await insertRoute(database.db, partner.id, tenant.id, 'crm_account_id', 'flapping-crm');
    await insertEndpoint(database.db, deps.box, partner.id, tenant.id, { url: endpointUrl });
    return { url, partnerId: partner.id, inboundSecret: partner.inbound_secret };
  } finally {
    await database.close();
  }
}

/** Ingests the events at once (the burst the issue measured); returns each event id's send time. */
async function sendEvents(url: string, inboundSecret: string): Promise<Map<string, number>> {
  const key = secretKeyBytes(inboundSecret);
  const sentAt = new Map<string, number>();
  await Promise.all(
    Array.from({ length: EVENTS }, async (_, i) => {
      const callId = `flapping-${i}`;
      const body = JSON.stringify({ event: 'call.ended', call_id: callId, occurred_at: new Date().toISOString(), runtime_vars: { crm_account_id: 'flapping-crm' } });
      const ts = Math.floor(Date.now() / 1000);
      const msgId = `msg_${callId}`;
      const sig = createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest('base64');
      const sent = Date.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
        body,
      });
      const json = (await res.json()) as { event_id?: string };
      if (res.status !== 202 || !json.event_id) throw new Error(`flapping: ingest answered ${res.status}`);
      sentAt.set(json.event_id, sent);
    }),
  );
  return sentAt;
}

/**
 * The schedule runs from a message's first attempt, so that is where its delivery time is counted
 * from (ingest to first attempt is the latency phase's business; it is reported here too).
 */
function summarise(
  sentAt: Map<string, number>,
  receiver: { deliveredAt: Map<string, number>; firstAttemptAt: Map<string, number> },
  expectedMs: number,
  timeScale: number,
  log: (line: string) => void,
): FlappingResult {
  // The delivery's webhook-id is the event id (src/signing/signDelivery.ts).
  const span = (id: string, from: number | undefined) => {
    const done = receiver.deliveredAt.get(id);
    return done === undefined || from === undefined ? Infinity : done - from;
  };
  const perEventMs = [...sentAt.keys()].map((id) => span(id, receiver.firstAttemptAt.get(id))).sort((a, b) => a - b);
  const fromIngestMs = [...sentAt].map(([id, sent]) => span(id, sent)).sort((a, b) => a - b);
  const delivered = perEventMs.filter(Number.isFinite).length;
  const maxMs = perEventMs[perEventMs.length - 1]!;
  const result = {
    events: sentAt.size,
    timeScale,
    expectedMs,
    delivered,
    p50Ms: perEventMs[Math.floor(perEventMs.length / 2)]!,
    maxMs,
    ratioMaxToExpected: Number((maxMs / expectedMs).toFixed(2)),
    perEventMs,
    fromIngestMs,
  };
  log(`flapping: ${delivered}/${result.events} delivered; first attempt to delivery p50 ${result.p50Ms} ms, max ${maxMs} ms vs ${expectedMs} ms expected: ratio ${result.ratioMaxToExpected} (target <= 1.5); from ingest p50 ${fromIngestMs[Math.floor(fromIngestMs.length / 2)]} ms, max ${fromIngestMs[fromIngestMs.length - 1]} ms`);
  return result;
}
