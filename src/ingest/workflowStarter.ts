import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { startEventWorkflow, type StartableEvent } from '../temporal/startEventWorkflow';

/**
 * One start attempt's deadline. Without it the client's gRPC retries keep a start against a
 * stopped Temporal pending for ~20 s, holding an in-flight slot and blocking the sweeper behind a
 * row that may not be the most urgent one; a quick failure leaves the row to the next sweep.
 */
const START_DEADLINE_MS = 3_000;

/**
 * Starts event workflows after ingest has committed and answered. Bounded: past
 * `maxInflightStarts` an event simply stays in the outbox for the sweeper. Marks of "started" are
 * batched into one UPDATE per flush, which keeps the hot path at one statement per event.
 * If Temporal is down nothing is lost: the row stays unstarted and the sweeper retries.
 */
export class WorkflowStarter {
  private inflight = 0;
  private readonly inflightIds = new Set<string>();
  private pendingMarks: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;
  private counting = false;
  /**
   * Outbox depth = unstarted rows at the last count + events persisted since − workflows started
   * since. Counted from Postgres on every sweeper tick, adjusted in between; drives load shedding.
   */
  private countedDepth = 0;
  private depthDelta = 0;
  private temporalHealthy = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly client: Client,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  get inflightCount(): number {
    return this.inflight;
  }

  get outboxDepth(): number {
    return Math.max(0, this.countedDepth + this.depthDelta);
  }

  /** Over the configured bound: non-critical events should be shed. */
  overloaded(): boolean {
    return this.outboxDepth >= this.config.ingest.maxOutboxDepth;
  }

  /**
   * Fire-and-forget start of a freshly persisted event (already committed: it is in the outbox
   * until its start is marked). While Temporal is failing, or all start slots are busy, it is left
   * to the sweeper, which takes the backlog terminal-first.
   */
  startSoon(event: StartableEvent): void {
    this.depthDelta++;
    if (!this.temporalHealthy || this.inflight >= this.config.ingest.maxInflightStarts || this.inflightIds.has(event.id)) {
      return;
    }
    void this.start(event);
  }

  private async start(event: StartableEvent): Promise<boolean> {
    this.inflight++;
    this.inflightIds.add(event.id);
    try {
      await this.client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        startEventWorkflow(this.client, this.config, event),
      );
      this.temporalHealthy = true;
      this.depthDelta--;
      this.mark(event.id);
      return true;
    } catch (err) {
      // Leave the row in the outbox; the sweeper retries. Logged, never dropped. (A start that
      // timed out may still have happened: the retry then gets "already started" and marks it.)
      this.temporalHealthy = false;
      this.logger.warn({ err, event_id: event.id, workflow_id: event.workflow_id }, 'workflow start failed; left in outbox');
      await this.db
        .updateTable('events')
        .set({ start_attempts: sql`start_attempts + 1` })
        .where('id', '=', event.id)
        .execute()
        .catch((e: unknown) => this.logger.warn({ err: e, event_id: event.id }, 'could not count start attempt'));
      return false;
    } finally {
      this.inflight--;
      this.inflightIds.delete(event.id);
    }
  }

  private mark(eventId: string): void {
    this.pendingMarks.push(eventId);
    if (this.pendingMarks.length >= 200) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), 25);
  }

  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushing;
    const ids = this.pendingMarks;
    this.pendingMarks = [];
    if (ids.length === 0) return;
    this.flushing = this.db
      .updateTable('events')
      .set({ workflow_started_at: sql`now()` })
      .where('id', 'in', ids)
      .where('workflow_started_at', 'is', null)
      .execute()
      .then(() => undefined)
      .catch((err: unknown) => {
        // The workflows are running; an unmarked row only means the sweeper will find them
        // "already started" later and mark them then.
        this.logger.warn({ err, count: ids.length }, 'could not mark started workflows; the sweeper will');
      });
    await this.flushing;
  }

  /**
   * One sweep: start the oldest unstarted events, terminal ones first. Safe to run in every
   * process at once: starting an already-started workflow is a no-op.
   */
  async sweep(limit = 500): Promise<number> {
    const depth = await this.countOutbox();
    if (depth === 0) return 0;
    const rows = await this.db
      .selectFrom('events')
      .select(['id', 'partner_id', 'call_id', 'event_type', 'terminal', 'workflow_id'])
      .where('workflow_started_at', 'is', null)
      .where('received_at', '<', sql<Date>`now() - interval '1 second'`)
      .orderBy('terminal', 'desc')
      .orderBy('received_at')
      .limit(limit)
      .execute();
    let started = 0;
    const concurrency = Math.max(1, Math.min(32, this.config.ingest.maxInflightStarts));
    for (let i = 0; i < rows.length; i += concurrency) {
      const batch = rows.slice(i, i + concurrency).filter((r) => !this.inflightIds.has(r.id));
      const results = await Promise.all(batch.map((r) => this.start(r)));
      started += results.filter(Boolean).length;
      if (results.some((ok) => !ok)) break; // Temporal is struggling; try again next sweep
    }
    await this.flush();
    if (started > 0) this.logger.info({ started, outbox_depth: depth }, 'outbox sweep started workflows');
    return started;
  }

  /** Re-reads the outbox depth from Postgres (cheap: a partial index holds only unstarted rows). */
  async countOutbox(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('workflow_started_at', 'is', null)
      .executeTakeFirstOrThrow();
    this.countedDepth = row.n;
    this.depthDelta = 0;
    this.metrics.outboxDepth.set(row.n);
    return row.n;
  }

  startSweeper(): void {
    const tick = async () => {
      // The depth is refreshed even while a long sweep runs, so shedding follows the real backlog.
      if (!this.counting && this.sweeping) {
        this.counting = true;
        await this.countOutbox()
          .catch((err: unknown) => this.logger.warn({ err }, 'could not count the outbox; will retry'))
          .finally(() => (this.counting = false));
      }
      if (this.sweeping) return;
      this.sweeping = true;
      try {
        await this.sweep();
      } catch (err) {
        this.logger.warn({ err }, 'outbox sweep failed; will retry');
      } finally {
        this.sweeping = false;
      }
    };
    this.sweepTimer = setInterval(() => void tick(), this.config.ingest.outboxSweepIntervalMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.flush();
  }
}
