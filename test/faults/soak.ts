/**
 * `npm run soak`: the fault tests' load and checks for a long run (default 30 minutes; not in CI).
 * Starts its own Postgres and Temporal dev server, the API in this process and the worker as a
 * child process, sends SOAK_RATE signed events per second, and every SOAK_FAULT_EVERY injects the
 * next fault in turn: worker kill -9, Temporal down 20 s, Postgres restart, receiver flapping.
 * Prints the figures and exits non-zero if any acknowledged event was lost.
 *
 *   SOAK_MINUTES=30 SOAK_RATE=5 SOAK_FAULT_EVERY=5m npm run soak
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig, parseDurationMs } from '../../src/config';
import { migrateToLatest } from '../../src/db/migrate';
import { LocalPostgres } from '../../src/dev/embeddedPostgres';
import { resolveTemporalCli } from '../../src/dev/temporalCli';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { freePort } from '../support/ports';
import type { Behaviour } from '../support/receiver';
import { awaitDelivered, printFigures, runLoad, sleep, tally } from './faultRun';
import { deliveryStatusCounts, startFaultStack } from './faultStack';

const minutes = Number(process.env['SOAK_MINUTES'] ?? 30);
const rate = Number(process.env['SOAK_RATE'] ?? 5);
const faultEvery = parseDurationMs(process.env['SOAK_FAULT_EVERY'] ?? '5m');

const flapping: Behaviour = (req) =>
  [{ status: 500 }, { status: 200, delayMs: 3_000 }, { destroy: true }, { status: 503, headers: { 'retry-after': '1' } }][req.n % 4]!;

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-soak-'));
  const log = (l: string) => process.env['SWITCHBOARD_TEST_VERBOSE'] && process.stderr.write(l + '\n');
  const postgres = new LocalPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), password: 'test', log });
  const cli = await resolveTemporalCli(loadConfig().temporal.cliPath, (l) => process.stderr.write(l + '\n'));
  if (!cli) throw new Error('no temporal CLI: run `npm run temporal:provision`');
  const temporal = new TemporalDevServer({ cliPath: cli.path, port: await freePort(), uiPort: await freePort(), namespace: 'default', dbFile: path.join(root, 'temporal.db'), headless: true, log });
  await Promise.all([postgres.start(), temporal.start()]);
  try {
    process.exitCode = await soak(postgres, temporal);
  } finally {
    await temporal.stop().catch(() => undefined);
    await postgres.stop().catch(() => undefined);
    // Keep the data of a failed run for a post-mortem (restart Postgres/Temporal on these files).
    if (process.exitCode === 0) rmSync(root, { recursive: true, force: true });
    else process.stdout.write(`soak: data kept in ${root}\n`);
  }
}

/** Returns the exit code: 0 when nothing acknowledged was lost or delivered unacknowledged. */
async function soak(postgres: LocalPostgres, temporal: TemporalDevServer): Promise<number> {
  const url = postgres.url('postgres');
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
  await migrateToLatest(db);
  await db.destroy();

  // startTestStack clones a scratch database from these (jest's globalSetup sets them normally);
  // the soak itself runs on `postgres`, the database it restarts.
  process.env['SWITCHBOARD_TEST_PG_ADMIN_URL'] = url;
  process.env['SWITCHBOARD_TEST_PG_TEMPLATE'] = 'template1';
  const f = await startFaultStack({ databaseUrl: url, temporalAddress: temporal.address });
  try {
    const durationMs = minutes * 60_000;
    const total = Math.max(1, Math.round((durationMs / 1000) * rate));
    process.stdout.write(`soak: ${minutes} min, ${rate} events/s (${total} events), a fault every ${faultEvery / 1000} s\n`);
    const load = runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total, durationMs, giveUpMs: 10 * 60_000 });

    const faults: Array<[string, () => Promise<void>]> = [
      ['worker kill -9', async () => { await f.worker.kill9(); await sleep(3_000); await f.worker.start(); }],
      ['temporal down 20 s', async () => { await temporal.stop(); await sleep(20_000); await temporal.start(); }],
      ['postgres restart', async () => { await postgres.stop(); await sleep(8_000); await postgres.start(); }],
      ['receiver flapping 10 s', async () => { f.receiver.misbehave(flapping); await sleep(10_000); f.receiver.healthy(); }],
    ];
    const injected: string[] = [];
    const deadline = Date.now() + durationMs;
    for (let i = 0; Date.now() + faultEvery < deadline; i++) {
      await sleep(faultEvery);
      const [name, inject] = faults[i % faults.length]!;
      process.stdout.write(`soak: ${new Date().toISOString()} injecting ${name}\n`);
      await inject();
      injected.push(name);
    }
    const result = await load;
    await awaitDelivered(f.receiver, result.acks, 5 * 60_000);
    const figures = tally(`soak ${minutes} min`, result, f.receiver);
    const endpoints = await f.stack.core.database.db.selectFrom('endpoints').select(['circuit_state', 'consecutive_failures', 'circuit_opened_at', 'enabled']).execute();
    printFigures(figures, { injected, refused: result.refused.length, abandoned: result.abandoned.length, deliveries: await deliveryStatusCounts(f.stack), endpoints });
    if (figures.lost > 0) {
      // Where the undelivered ones are stuck: their delivery rows, attempts and workflow state.
      const stuck = [...result.acks.keys()].filter((id) => !f.receiver.accepted.has(id)).slice(0, 3);
      for (const eventId of stuck) {
        const d = await f.stack.core.database.db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).execute();
        const attempts = await f.stack.core.database.db.selectFrom('delivery_attempts').select(['attempt_number', 'status_code', 'error']).where('delivery_id', 'in', d.map((x) => x.id).concat('none')).execute();
        const ev = await f.stack.core.database.db.selectFrom('events').select(['workflow_id', 'workflow_started_at', 'status']).where('id', '=', eventId).executeTakeFirst();
        let wf = 'unknown';
        try {
          const desc = await f.stack.temporal.workflow.getHandle(ev!.workflow_id).describe();
          wf = `${desc.status.name}, history ${desc.historyLength}`;
        } catch (err) {
          wf = (err as Error).message;
        }
        process.stdout.write(`[soak stuck] ${JSON.stringify({ eventId, event: ev, deliveries: d.map((x) => ({ status: x.status, attempts: x.attempt_count })), attempts, workflow: wf })}\n`);
      }
    }
    return figures.lost === 0 && figures.unacknowledgedDelivered === 0 && result.refused.length === 0 ? 0 : 1;
  } finally {
    await f.close();
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
