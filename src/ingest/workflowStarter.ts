import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { startEventWorkflow, type StartableEvent } from '../temporal/startEventWorkflow';
import { START_CLAIM_SECONDS } from './persistEvent';

/**
 * One start attempt's deadline. Without it the client's gRPC retries keep a start against a
 * stopped Temporal pending for ~20 s, holding an in-flight slot and blocking the sweeper behind a
 * row that may not be the most urgent one; a failure releases the row to the next sweep. Long
 * enough that a busy (not dead) Temporal is not mistaken for a dead one.
 */
const START_DEADLINE_MS = 10_000;

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
      // Persisted rows are born claimed by this process (persistEvent): hand it to the sweepers now.
      void this.releaseClaim(event.id, false);
      return;
    }
    void this.start(event);
  }

  /** Gives a row back to the sweepers (after a failed or skipped start). Never throws. */
  private async releaseClaim(eventId: string, failedAttempt: boolean): Promise<void> {
    await this.db
      .updateTable('events')
      .set({ start_claimed_until: null, ...(failedAttempt ? { start_attempts: sql`start_attempts + 1` } : {}) })
      .where('id', '=', eventId)
      .where('workflow_started_at', 'is', null)
      .execute()
      .then(() => undefined)
      .catch((e: unknown) => this.logger.warn({ err: e, event_id: eventId }, 'could not release the start claim; it lapses on its own'));
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
      await this.releaseClaim(event.id, true);
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
   * One sweep: claim and start the oldest unclaimed unstarted events, terminal ones first. Safe to
   * run in every server and worker at once: rows are claimed with SKIP LOCKED under a lease, so
   * each is started by one process (and starting an already-started workflow is a no-op anyway).
   */
  async sweep(limit = 200): Promise<number> {
    const depth = await this.countOutbox();
    if (depth === 0) return 0;
    const claimed = await sql<StartableEvent & { received_at: Date }>`
      update events set start_claimed_until = now() + make_interval(secs => ${START_CLAIM_SECONDS})
      where id in (
        select id from events
        where workflow_started_at is null and (start_claimed_until is null or start_claimed_until < now())
        order by terminal desc, received_at
        limit ${limit}
        for update skip locked
      )
      returning id, partner_id, call_id, event_type, terminal, workflow_id, received_at`.execute(this.db);
    const rows = claimed.rows.sort(
      (a, b) => Number(b.terminal) - Number(a.terminal) || a.received_at.getTime() - b.received_at.getTime(),
    );
    let started = 0;
    const concurrency = Math.max(1, Math.min(32, this.config.ingest.maxInflightStarts));
    for (let i = 0; i < rows.length; i += concurrency) {
      const batch = rows.slice(i, i + concurrency).filter((r) => !this.inflightIds.has(r.id));
      const results = await Promise.all(batch.map((r) => this.start(r)));
      started += results.filter(Boolean).length;
      if (results.some((ok) => !ok)) {
        // Temporal is struggling: give the rest back now rather than sit on their claims.
        await Promise.all(rows.slice(i + concurrency).map((r) => this.releaseClaim(r.id, false)));
        break;
      }
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
