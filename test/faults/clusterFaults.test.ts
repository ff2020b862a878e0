import { eventually } from '../support/eventually';
import { launchCluster, partnerDeliveryCounts, seedRoute, type LaunchedCluster } from '../support/launchedCluster';
import type { ProcessIdentity } from '../support/launchedStack';
import { awaitDelivered, FAULT_TUNING, printFigures, ROUTE_KEY, runLoad, sleep, startDedupeReceiver, tally, type DedupeReceiver, type LoadResult } from './faultRun';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 120);
const LOAD_MS = 12_000;

/**
 * Faults on the production topology (`switchboard start --cluster`: the full Temporal server on
 * Postgres, 2 workers, 2 API servers behind the launcher's proxy), one steady burst each, and the
 * launcher's supervisor bringing back whatever was killed. Each burst goes to its own partner and
 * deduplicating receiver; the verdict is the one of the other fault tests: every acknowledged event
 * delivered, nothing delivered that was not acknowledged, no duplicate after receiver dedupe, and
 * every delivery row `delivered`.
 */
describe('faults on the cluster topology', () => {
  let cluster: LaunchedCluster;
  let receiver: DedupeReceiver | undefined;

  beforeAll(async () => {
    cluster = await launchCluster({ env: FAULT_TUNING });
  }, 660_000);
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Runs a burst, calls `fault` once the receiver has seen deliveries, and checks the verdict. */
  async function burstWithFault(scenario: string, fault: () => Promise<Record<string, unknown>>): Promise<{ load: LoadResult; faultAt: number }> {
    receiver = await startDedupeReceiver();
    const rx = receiver;
    const { partner } = await seedRoute(cluster.core, rx.url, ROUTE_KEY);
    const load = runLoad({ api: () => cluster.api, partnerId: partner.id, secret: partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS });
    await sleep(LOAD_MS * 0.3);
    for (let i = 0; i < 80 && rx.accepted.size === 0; i++) await sleep(250);
    const deliveredBeforeFault = rx.accepted.size;
    const faultAt = Date.now();
    const details = await fault();
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    await awaitDelivered(rx, result.acks, 180_000);
    const figures = tally(scenario, result, rx);
    const deliveries = await eventually(() => partnerDeliveryCounts(cluster.core, partner.id), (c) => c['delivered'] === TOTAL && Object.keys(c).length === 1, 90_000).catch(() =>
      partnerDeliveryCounts(cluster.core, partner.id),
    );
    printFigures(figures, { deliveredBeforeFault, deliveries, ...details });

    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(rx.accepted.keys())).toEqual(new Set(result.acks.keys()));
    expect(deliveries).toEqual({ delivered: TOTAL });
    // The fault really hit work in progress, otherwise the test proves nothing.
    expect(deliveredBeforeFault).toBeLessThan(TOTAL);
    return { load: result, faultAt };
  }

  function kill(p: ProcessIdentity | undefined, signal: NodeJS.Signals): number {
    if (!p) throw new Error('process to kill not found among the launcher children');
    process.kill(p.pid, signal);
    return p.pid;
  }

  /** Waits until the launcher has replaced `pid` and the role has `count` processes again. */
  async function restored(role: (c: ReturnType<LaunchedCluster['children']>) => ProcessIdentity[], pid: number, count: number): Promise<void> {
    await eventually(
      async () => role(cluster.children()),
      (ps) => ps.length === count && !ps.some((p) => p.pid === pid),
      120_000,
      500,
    );
  }

  it('kill -9 of one of two workers mid-burst: the other carries on, the killed one is replaced, nothing lost or doubled', async () => {
    let killed = 0;
    const { load, faultAt } = await burstWithFault('cluster: worker kill -9', async () => {
      killed = kill(cluster.children().workers[0], 'SIGKILL');
      return { killedWorkerPid: killed };
    });
    // The API never depended on the workers: every attempt after the kill was acknowledged at once.
    expect(load.attempts.filter((a) => a.startedAt >= faultAt && a.status !== 202)).toEqual([]);
    await restored((c) => c.workers, killed, 2);
  });

  it('kill -9 of one of two API servers mid-burst: only requests in flight on it fail, partners retry, nothing lost', async () => {
    const before = cluster.children().servers;
    const { load, faultAt } = await burstWithFault('cluster: API server kill -9', async () => ({ killedServerPid: kill(before[0], 'SIGKILL') }));
    // A retry of a request the dead server had already committed is answered 200 (the same event):
    // a success too.
    const failed = load.attempts.filter((a) => a.status < 200 || a.status >= 300);
    // What a partner sees of a dead backend behind the proxy: the documented 503 for the requests
    // that were on it when it died, and from then on only successes (the proxy routes around it).
    expect(failed.filter((a) => a.status !== 503)).toEqual([]);
    expect(failed.filter((a) => a.startedAt > faultAt + 2_000)).toEqual([]);
    await restored((c) => c.servers, before[0]!.pid, 2);
  });

  it('the Temporal server killed and restarted mid-burst: ingest keeps acknowledging, everything is delivered after', async () => {
    const { load, faultAt } = await burstWithFault('cluster: Temporal server restart', async () => {
      const pid = kill(cluster.children().temporal, 'SIGKILL');
      await eventually(async () => cluster.children().temporal, (t) => t !== undefined && t.pid !== pid, 120_000, 500);
      return { killedTemporalPid: pid };
    });
    expect(load.attempts.filter((a) => a.startedAt >= faultAt && a.status !== 202)).toEqual([]);
  });

  it('Postgres (Switchboard and Temporal data) restarted mid-burst: 503 while down, never a 2xx for what was not committed', async () => {
    const { load } = await burstWithFault('cluster: Postgres restart', async () => {
      // A fast shutdown (what a managed Postgres restart does); the launcher starts it again.
      const pid = kill(cluster.children().postgres, 'SIGINT');
      await eventually(async () => cluster.children().postgres, (p) => p !== undefined && p.pid !== pid, 120_000, 250);
      return { restartedPostgresPid: pid };
    });
    expect([...new Set(load.attempts.map((a) => a.status))].filter((s) => s !== 202 && s !== 503 && s !== 0)).toEqual([]);
  });
});
