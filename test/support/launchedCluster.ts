import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCoreServices, type CoreServices } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { portsFromFrontend } from '../../src/dev/cluster/serverConfig';
import { readLocalStackState } from '../../src/dev/localStackState';
import type { LocalSecrets } from '../../src/dev/localSecrets';
import { createPartner } from '../../src/tenancy/partners';
import { insertEndpoint } from '../../src/tenancy/endpoints';
import { createTenant, insertRoute } from '../../src/tenancy/tenants';
import { freeStackPorts, killAll, launchStack, portsInUse, processTree, waitForBanner, waitUntilAllGone, type LaunchedStack, type ProcessIdentity } from './launchedStack';

/**
 * `switchboard start --cluster` as a user runs it, for the end-to-end test of cluster mode and the
 * cluster fault tests: its own data dir and ports, the launcher's children found through /proc
 * (so a test can kill -9 exactly one worker or one API server, the Temporal server or Postgres),
 * and Switchboard's core services in this process, on the stack's database, to seed routes and
 * read rows.
 */
export interface LaunchedCluster {
  launched: LaunchedStack;
  dataDir: string;
  /** The one URL (the launcher's proxy). */
  api: string;
  temporalAddress: string;
  uiUrl: string;
  core: CoreServices;
  /** The launcher's children now, by role. */
  children(): ClusterChildren;
  stop(): Promise<void>;
}

export interface ClusterChildren {
  workers: ProcessIdentity[];
  servers: ProcessIdentity[];
  temporal?: ProcessIdentity;
  ui?: ProcessIdentity;
  postgres?: ProcessIdentity;
}

/** A frontend port whose derived set (history, matching, worker, HTTP, membership) is all free. */
async function freeFrontendPort(): Promise<number> {
  for (;;) {
    const { temporal } = await freeStackPorts();
    // Membership ports (frontend − 300…) must stay below 32768: Temporal stores them as smallint.
    if (temporal < 1_000 || temporal > 32_000) continue;
    const all = Object.values(portsFromFrontend(temporal));
    if ((await portsInUse(all)).length === 0) return temporal;
  }
}

/**
 * The stack's ports with a frontend port from freeFrontendPort, none of them in the frontend's
 * derived set: the API port once drew the history membership port (frontend − 299), and the
 * launcher's proxy found it taken by the Temporal server.
 */
async function clusterStackPorts() {
  const temporal = await freeFrontendPort();
  const derived = new Set(Object.values(portsFromFrontend(temporal)));
  for (;;) {
    const stack = await freeStackPorts();
    if (!Object.values(stack).some((port) => derived.has(port))) return { ...stack, temporal };
  }
}

export async function launchCluster(opts: { servers?: number; workers?: number; env?: Record<string, string> } = {}): Promise<LaunchedCluster> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-cluster-'));
  const ports = await clusterStackPorts();
  const args = ['--cluster', '--servers', String(opts.servers ?? 2), '--workers', String(opts.workers ?? 2)];
  const launched = launchStack({ how: 'launcher', dataDir, ports, env: { WORKER_METRICS_PORT: '0', ...opts.env }, args });
  let core: CoreServices | undefined;
  try {
    await waitForBanner(launched, 600_000);
    const state = readLocalStackState(dataDir)!;
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as LocalSecrets;
    core = createCoreServices(
      loadConfig({ DATABASE_URL: state.databaseUrl, TEMPORAL_ADDRESS: state.temporal.address, SWITCHBOARD_ENCRYPTION_KEY: secrets.encryptionKey, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '2' }),
      'test',
    );
    const coreServices = core;
    const children = (): ClusterChildren => classify(processTree(launched.child.pid!).slice(1));
    return {
      launched,
      dataDir,
      api: state.apiUrl,
      temporalAddress: state.temporal.address,
      uiUrl: state.temporalUiUrl!,
      core: coreServices,
      children,
      async stop() {
        await coreServices.database.close();
        await stopLaunched(launched);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await core?.database.close();
    await stopLaunched(launched);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

function classify(processes: ProcessIdentity[]): ClusterChildren {
  const byCmd = (pattern: RegExp) => processes.filter((p) => pattern.test(p.cmdline));
  return {
    workers: byCmd(/switchboard worker$/),
    servers: byCmd(/switchboard server$/),
    temporal: byCmd(/temporal-server-v[^ ]*\/server .*start$/)[0],
    ui: byCmd(/temporal-ui-server-v[^ ]*\/server .*start$/)[0],
    // The postmaster: its parent is the launcher (its own workers are its children).
    postgres: processes.find((p) => /\/postgres -D /.test(p.cmdline) && !processes.some((q) => q.pid === p.ppid && /\/postgres -D /.test(q.cmdline))),
  };
}

async function stopLaunched(launched: LaunchedStack): Promise<void> {
  if (launched.child.exitCode !== null || launched.child.signalCode !== null) return;
  const tree = processTree(launched.child.pid!);
  launched.child.kill('SIGTERM');
  const left = await waitUntilAllGone(tree, 60_000);
  killAll(left);
}

/** One partner → tenant → endpoint route to `receiverUrl`, seeded through the domain functions. */
export async function seedRoute(core: CoreServices, receiverUrl: string, routeKey: string): Promise<{ partner: { id: string; inbound_secret: string }; tenantId: string }> {
  const db = core.database.db;
  const partner = await createPartner(db, core.secretBox, { name: `Cluster partner ${routeKey}` });
  const tenant = await createTenant(db, partner.id, { name: `Cluster tenant ${routeKey}` });
  await insertRoute(db, partner.id, tenant.id, 'crm_account_id', routeKey);
  await insertEndpoint(db, core.secretBox, partner.id, tenant.id, { url: receiverUrl });
  return { partner, tenantId: tenant.id };
}

/** Deliveries of one partner by status. */
export async function partnerDeliveryCounts(core: CoreServices, partnerId: string): Promise<Record<string, number>> {
  const rows = await core.database.db
    .selectFrom('deliveries')
    .select(['status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('partner_id', '=', partnerId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
