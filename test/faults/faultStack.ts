import { eventually } from '../support/eventually';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';
import { faultEnv, ROUTE_KEY, startDedupeReceiver, type DedupeReceiver } from './faultRun';
import { WorkerProcess } from './workerProcess';

/**
 * The topology of a production deployment, shrunk: the API server in this process (same config),
 * the worker as its own OS process, both pointed at the given Postgres and Temporal, and one
 * partner -> tenant -> endpoint route to a deduplicating receiver.
 */
export interface FaultStack {
  stack: TestStack;
  worker: WorkerProcess;
  receiver: DedupeReceiver;
  partner: { id: string; inbound_secret: string };
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startFaultStack(opts: { databaseUrl?: string; temporalAddress?: string; extra?: Record<string, string> } = {}): Promise<FaultStack> {
  const temporalAddress = opts.temporalAddress ?? process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS'];
  if (!temporalAddress) throw new Error('run through jest: globalSetup provides Temporal');
  // Without an explicit database, startTestStack clones the migrated template; the worker then
  // gets that same URL.
  const base = faultEnv({ databaseUrl: opts.databaseUrl ?? 'pending', temporalAddress, extra: opts.extra });
  const { DATABASE_URL: _pending, ...withoutDb } = base;
  // The worker logs at info (its readiness line); the in-process server stays quiet unless verbose.
  const serverLog = { LOG_LEVEL: process.env['SWITCHBOARD_TEST_VERBOSE'] ? 'debug' : 'silent' };
  const stack = await startTestStack({ worker: false, env: { ...(opts.databaseUrl ? base : withoutDb), ...serverLog } });
  const env = { ...base, DATABASE_URL: stack.config.database.url! };
  const worker = new WorkerProcess(env);
  const receiver = await startDedupeReceiver();
  try {
    await worker.start();
    const partner = await seedPartner(stack, 'Fault Partner');
    const tenant = await seedTenant(stack, partner.id, 'Fault Tenant', [['crm_account_id', ROUTE_KEY]]);
    await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
    return {
      stack,
      worker,
      receiver,
      partner,
      env,
      async close() {
        await worker.stop();
        await receiver.close();
        await stack.close();
      },
    };
  } catch (err) {
    await worker.stop();
    await receiver.close();
    await stack.close();
    throw err;
  }
}

/** Deliveries that ended anywhere but `delivered` (dead-lettered, still pending) per status. */
/**
 * Delivery rows by status once every one of `total` is delivered, or as they stand at the deadline.
 * The receiver sees a POST before the worker records its outcome, so the rows lag the receiver:
 * asserting on them once, right after the receiver has everything, was a flake.
 */
export async function settledDeliveryCounts(stack: TestStack, total: number, timeoutMs = 60_000): Promise<Record<string, number>> {
  return eventually(() => deliveryStatusCounts(stack), (c) => c['delivered'] === total && Object.keys(c).length === 1, timeoutMs).catch(() =>
    deliveryStatusCounts(stack),
  );
}

export async function deliveryStatusCounts(stack: TestStack): Promise<Record<string, number>> {
  const rows = await stack.core.database.db
    .selectFrom('deliveries')
    .select(['status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
