import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { freePort } from '../support/ports';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

const REPO = path.resolve(__dirname, '..', '..');

/** One sample of a metric whose labels include `labels`, from Prometheus text; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * /metrics on the real processes: the API server (in-process, the test stack's) and a real
 * `switchboard worker` child process on the same database and task queue, with its own /metrics
 * port serving Switchboard's worker-side metrics and, merged in, the Temporal SDK's.
 */
describe('metrics: every named metric is exposed by the process that owns it', () => {
  let stack: TestStack;
  let worker: ChildProcess;
  let workerLog = '';
  let workerMetricsUrl: string;
  const receivers: Receiver[] = [];
  const scheduleId = `metrics-test-${randomBytes(4).toString('hex')}`;

  const scrape = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };
  const serverMetrics = () => scrape(`${stack.api}/metrics`);
  const workerMetrics = () => scrape(workerMetricsUrl);

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const [metricsPort, sdkPort] = [await freePort(), await freePort()];
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    worker = spawn(path.join(REPO, 'node_modules', '.bin', 'tsx'), [path.join(REPO, 'src', 'cli', 'main.ts'), 'worker'], {
      cwd: REPO,
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
        SWITCHBOARD_ENCRYPTION_KEY: stack.config.encryptionKey,
        SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
        WORKER_METRICS_PORT: String(metricsPort),
        WORKER_SDK_METRICS_PORT: String(sdkPort),
        RECONCILIATION_SCHEDULE_ID: scheduleId,
        LOG_LEVEL: 'warn',
        OUTBOX_SWEEP_INTERVAL: '500ms',
        DELIVERY_INITIAL_INTERVAL: '200ms',
        DELIVERY_BACKOFF_COEFFICIENT: '2',
        DELIVERY_MAX_INTERVAL: '1s',
        DELIVERY_MAX_ATTEMPTS: '2',
        DELIVERY_TIMEOUT: '2s',
        // One 5xx opens an endpoint's circuit, and it stays open for the whole test.
        CIRCUIT_FAILURE_THRESHOLD: '1',
        CIRCUIT_OPEN_DURATION: '1h',
        TENANT_RESOLUTION_WAIT: '1s',
        TENANT_RESOLUTION_POLL: '500ms',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d: Buffer) => (workerLog += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
    await waitUntil(
      'the worker process to serve /metrics',
      async () => {
        if (worker.exitCode !== null) throw new Error(`worker exited ${worker.exitCode}:\n${workerLog}`);
        return fetch(workerMetricsUrl).then((r) => r.ok, () => false);
      },
      90_000,
    );
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await stack?.temporal.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  it('drives every path through the real stack, then finds each metric where it is counted', async () => {
    const partner = await seedPartner(stack, 'Metrics Voice');
    const endpointFor = async (name: string, status: number, routes: Parameters<typeof seedTenant>[3] = []) => {
      const receiver = await startReceiver(() => ({ status, body: `answer ${status}` }));
      receivers.push(receiver);
      const tenant = await seedTenant(stack, partner.id, name, routes);
      await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
      return tenant;
    };
    const ok = await endpointFor('ok', 200, [['crm_account_id', 'crm-metrics']]);
    const refusing = await endpointFor('refusing', 400);
    const down = await endpointFor('down', 500, [['partner_tenant_ref', 'ref-metrics']]);

    // Ingest: accepted and rejected (bad signature).
    const delivered = await sendEvent(stack, partner, { call_id: uniqueCallId('m-ok'), tenant_id: ok.id });
    const rejected = await fetch(`${stack.api}/v1/webhooks/${partner.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(rejected.status).toBe(401);
    // Delivered (2xx), dead-lettered (400), circuit opened (500).
    const dead = await sendEvent(stack, partner, { call_id: uniqueCallId('m-dead'), tenant_id: refusing.id });
    const tripping = await sendEvent(stack, partner, { call_id: uniqueCallId('m-down'), tenant_id: down.id });
    // Quarantined: the keys point at two tenants.
    const conflict = await sendEvent(stack, partner, { call_id: uniqueCallId('m-q'), runtime_vars: { crm_account_id: 'crm-metrics', partner_tenant_ref: 'ref-metrics' } });
    expect(await settle(stack, delivered.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(await settle(stack, dead.workflow_id)).toMatchObject({ status: 'dead_lettered' });
    expect(await settle(stack, conflict.workflow_id)).toMatchObject({ status: 'quarantined' });
    await waitUntil('the circuit of the failing endpoint to open', async () => {
      const row = await stack.core.database.db.selectFrom('endpoints').select('circuit_state').where('tenant_id', '=', down.id).executeTakeFirstOrThrow();
      return row.circuit_state === 'open';
    });
    expect(tripping.workflow_id).toBeTruthy();

    // Reconciliation: one call in the log never produced a webhook -> ratio 1 for this partner.
    const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const to = new Date(Date.now() - 3_600_000).toISOString();
    await sql`insert into voice_sessions (partner_id, call_id, tenant_id, status, started_at, ended_at, terminal, updated_at)
      values (${partner.id}, ${uniqueCallId('m-lost')}, ${ok.id}, 'ended', ${from}::timestamptz, ${from}::timestamptz + interval '1 minute', true, now())`.execute(stack.core.database.db);
    const rec = await api<{ workflow_id: string }>(stack, 'POST', '/v1/reconciliations', stack.adminKey, { from, to, partner_id: partner.id });
    expect(rec.status).toBe(202);
    await settle(stack, rec.body.workflow_id);

    // --- API server: ingest, outbox, and the state gauges counted in Postgres.
    // The outbox gauges are re-counted every OUTBOX_SWEEP_INTERVAL (500 ms here): the last count may
    // predate the reconciliation's replayed event being started, so wait for a count after it.
    await waitUntil('both outbox gauges to count the started backlog', async () =>
      sample(await serverMetrics(), 'switchboard_outbox_depth') === 0 && sample(await workerMetrics(), 'switchboard_outbox_depth') === 0,
    );
    const server = await serverMetrics();
    expect(sample(server, 'switchboard_ingest_total', { outcome: 'accepted' })).toBeGreaterThanOrEqual(4);
    expect(sample(server, 'switchboard_ingest_total', { outcome: 'rejected' })).toBe(1);
    expect(sample(server, 'switchboard_ingest_latency_seconds_count', { outcome: 'accepted' })).toBeGreaterThanOrEqual(4);
    expect(sample(server, 'switchboard_outbox_depth')).toBe(0);
    expect(sample(server, 'switchboard_open_circuits')).toBe(1);
    expect(sample(server, 'switchboard_quarantine_open')).toBe(1);
    // The 400 delivery; the reconciliation replay was delivered to the ok endpoint.
    expect(sample(server, 'switchboard_dead_letter_backlog')).toBe(1);

    // --- Worker: what activities count, and the Temporal SDK's own metrics.
    const w = await workerMetrics();
    expect(sample(w, 'switchboard_deliveries_total', { outcome: 'success', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(w, 'switchboard_deliveries_total', { outcome: 'failure', status_class: '4xx' })).toBe(1);
    expect(sample(w, 'switchboard_deliveries_total', { outcome: 'failure', status_class: '5xx' })).toBe(1);
    expect(sample(w, 'switchboard_delivery_attempt_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(sample(w, 'switchboard_delivery_attempt_seconds_bucket', { le: '+Inf' })).toBe(sample(w, 'switchboard_delivery_attempt_seconds_count'));
    expect(sample(w, 'switchboard_dead_lettered_total')).toBe(1);
    expect(sample(w, 'switchboard_quarantined_total', { reason: 'conflicting_keys' })).toBe(1);
    expect(sample(w, 'switchboard_reconciliation_missing_ratio', { partner_id: partner.id })).toBe(1);
    expect(sample(w, 'switchboard_incidents_raised_total')).toBe(1);
    expect(sample(w, 'switchboard_outbox_depth')).toBe(0);
    // The relay runs in the worker and starts eagerly on the worker's own connection.
    expect(sample(w, 'switchboard_workflow_starts_total', { eager: 'true' })).toBeGreaterThanOrEqual(4);
    expect(sample(w, 'switchboard_first_attempts_total', { mode: 'inline' })).toBeGreaterThanOrEqual(3);
    // The SDK's Rust core: workflow/activity task metrics, labelled with our task queue.
    expect(w).toMatch(/^temporal_\w+/m);
    expect(sample(w, 'temporal_activity_execution_latency_count', { task_queue: stack.config.temporal.taskQueue })).toBeGreaterThanOrEqual(1);

    // Counters belong to one process: the server never counts deliveries, the worker never ingest.
    expect(sample(server, 'switchboard_deliveries_total', { outcome: 'success' })).toBeUndefined();
    expect(sample(w, 'switchboard_ingest_total', { outcome: 'accepted' })).toBeUndefined();
  });
});
