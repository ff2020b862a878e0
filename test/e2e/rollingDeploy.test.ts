import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate';
import { createCoreServices, type CoreServices } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/temporal/connection';
import type { Client } from '@temporalio/client';
import { startClusterTemporal, type ClusterTemporal } from '../support/clusterTemporal';
import { eventually } from '../support/eventually';
import { partnerDeliveryCounts, seedRoute } from '../support/launchedCluster';
import { freePort } from '../support/ports';
import { PrivatePostgres } from '../support/privatePostgres';
import { faultEnv, ROUTE_KEY, runLoad, startDedupeReceiver, type DedupeReceiver } from '../faults/faultRun';
import { WorkerProcess } from '../faults/workerProcess';

/**
 * A rolling deploy with a workflow change, on the full Temporal server: two workers of version A
 * (the current code) run a burst whose deliveries keep failing, so every event workflow is open
 * and waiting on a retrying delivery; two workers of version B (test/rolling/workflowsVersionB.ts:
 * a timer before eventWorkflow's first step, behind `patched()` as docs/versioning.md says) are
 * rolled in one by one, each A stopped after its B is up. Then the endpoint recovers. Every
 * workflow A started completes on B workers by replaying A's history (no marker: the old path),
 * without a single failed workflow task; events that arrive after the roll run B (the marker).
 * The same change without the patch fails the replay of those A histories.
 */
const BURST = 24;
const PATCH_MARKER = 'rolling-deploy-test-timer';
const VERSION_B = path.resolve(__dirname, '..', 'rolling', 'versionBWorker.ts');

describe('rolling deploy of a workflow change on the cluster', () => {
  let postgres: PrivatePostgres;
  let cluster: ClusterTemporal;
  let root: string;
  let core: CoreServices;
  let client: Client;
  let receiver: DedupeReceiver;
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;
  let api: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-rolling-'));
    postgres = new PrivatePostgres(path.join(root, 'pg'), await freePort());
    const databaseUrl = await postgres.start();
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }) });
    await migrateToLatest(db);
    await db.destroy();
    cluster = await startClusterTemporal({ databaseUrl, rootDir: root, ui: false, log: () => undefined });
    receiver = await startDedupeReceiver();
    // Deliveries keep failing until the roll is over: every event workflow stays open meanwhile.
    receiver.misbehave(() => ({ status: 503 }));
    env = faultEnv({ databaseUrl, temporalAddress: cluster.address, extra: { DELIVERY_MAX_ATTEMPTS: '1000' } });
    core = createCoreServices(loadConfig({ ...env, LOG_LEVEL: 'silent' }), 'test');
    client = await connectClient(core.config.temporal);
    // One API server (version-independent) for both bursts.
    const port = await freePort();
    const server = new WorkerProcess({ ...env, PORT: String(port), HOST: '127.0.0.1' }, 'server');
    workers.push(server);
    await server.start();
    api = `http://127.0.0.1:${port}`;
  }, 300_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await receiver?.close();
    await client?.connection.close();
    await core?.database.close();
    await cluster?.stop();
    await postgres?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('in-flight workflows of version A complete on version B workers with A’s command sequence; new events run B', async () => {
    const { partner } = await seedRoute(core, receiver.url, ROUTE_KEY);
    const a1 = new WorkerProcess(env);
    const a2 = new WorkerProcess(env);
    workers.push(a1, a2);
    await Promise.all([a1.start(), a2.start()]);

    // Version A's burst: acknowledged, started, first attempts failed, deliveries retrying.
    const burstA = await runLoad({ api: () => api, partnerId: partner.id, secret: partner.inbound_secret, total: BURST, durationMs: 2_000, tag: 'rollA' });
    const idsA = [...burstA.acks.keys()];
    expect(idsA).toHaveLength(BURST);
    const workflowsA = await eventually(
      () => eventWorkflowIds(client, partner.id),
      (ids) => ids.length === BURST,
      90_000,
    );
    // Every delivery planned and none finished: all BURST workflows are open, retrying (or waiting
    // on the endpoint's open circuit) when the roll begins.
    await eventually(
      () => partnerDeliveryCounts(core, partner.id),
      (c) => Object.values(c).reduce((a, b) => a + b, 0) === BURST && !c['delivered'] && !c['dead_lettered'],
      90_000,
    );
    step('version A: burst acknowledged, every event workflow open with a retrying delivery');

    // The roll: B1 in, A1 out, B2 in, A2 out. Each A drains and stops (SIGTERM) as a deploy does.
    const b1 = new WorkerProcess(env, 'worker', VERSION_B);
    workers.push(b1);
    await b1.start();
    await a1.stop();
    step('rolled: B1 in, A1 out');
    const b2 = new WorkerProcess(env, 'worker', VERSION_B);
    workers.push(b2);
    await b2.start();
    await a2.stop();
    step('rolled: B2 in, A2 out');

    // The endpoint recovers; everything A started finishes on B workers.
    receiver.healthy();
    const burstB = await runLoad({ api: () => api, partnerId: partner.id, secret: partner.inbound_secret, total: 6, durationMs: 1_000, tag: 'rollB' });
    expect(burstB.acks.size).toBe(6);
    await eventually(
      () => partnerDeliveryCounts(core, partner.id),
      (c) => c['delivered'] === BURST + 6,
      180_000,
    );
    step('endpoint recovered: every delivery delivered');

    const all = await eventWorkflowIds(client, partner.id);
    const workflowsB = all.filter((id) => !workflowsA.includes(id));
    expect(workflowsB).toHaveLength(6);
    for (const id of all) {
      const history = await eventually(
        () => client.workflow.getHandle(id).fetchHistory(),
        (h) => lastEventType(h) === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
        120_000,
      );
      const types = eventTypes(history);
      // No nondeterminism error, no stuck task: not one workflow task failed.
      expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_TASK_FAILED')).toEqual([]);
      expect(hasPatchMarker(history)).toBe(workflowsB.includes(id));
    }
    expect(new Set(receiver.accepted.keys())).toEqual(new Set([...idsA, ...burstB.acks.keys()]));
    expect(receiver.acceptedRequests() - receiver.accepted.size).toBe(0);

    // The change is real: without patched(), the same timer breaks the replay of A's histories.
    const unpatched = await bundleWorkflowCode({ workflowsPath: require.resolve('../histories/workflowsWithExtraTimer'), logger: quietLogger });
    const aHistory = await client.workflow.getHandle(workflowsA[0]!).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: unpatched }, aHistory, workflowsA[0])).rejects.toThrow(/Nondeterminism|DeterminismViolation/i);
    const patchedB = await bundleWorkflowCode({ workflowsPath: require.resolve('../rolling/workflowsVersionB'), logger: quietLogger });
    await Worker.runReplayHistory({ workflowBundle: patchedB }, aHistory, workflowsA[0]);
  }, 900_000);

});

const started = Date.now();
function step(what: string): void {
  process.stderr.write(`[rolling deploy +${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

async function eventWorkflowIds(client: Client, partnerId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowType = "eventWorkflow" AND PartnerId = "${partnerId}"` })) ids.push(w.workflowId);
  return ids.sort();
}

type History = temporal.api.history.v1.IHistory;

function eventTypes(history: History): string[] {
  return (history.events ?? []).map((e) => eventTypeName(e.eventType));
}

function lastEventType(history: History): string {
  return eventTypes(history).at(-1) ?? '';
}

function eventTypeName(t: unknown): string {
  // Fetched histories carry the enum as a number; the names come from the proto enum.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the enum object, at run time, from the same @temporalio/proto copy as the type
  const { temporal: proto } = require('@temporalio/proto') as typeof import('@temporalio/proto');
  return typeof t === 'number' ? proto.api.enums.v1.EventType[t]! : String(t);
}

/** The TypeScript SDK records a patch as a `core_patch` marker whose payload names the patch id. */
function hasPatchMarker(history: History): boolean {
  return (history.events ?? []).some((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return false;
    return Object.values(marker.details ?? {}).some((p) => (p.payloads ?? []).some((payload) => Buffer.from(payload.data ?? []).toString('utf8').includes(PATCH_MARKER)));
  });
}
