import { sql, type Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/**
 * How many acknowledged events wait for their workflow to start: unstarted rows at the last count
 * plus the events this process committed since. Re-counted from Postgres every
 * OUTBOX_SWEEP_INTERVAL; drives load shedding (API server) and the outbox gauge (both processes).
 */
export class OutboxDepth {
  private counted = 0;
  private delta = 0;
  private counting = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  get value(): number {
    return Math.max(0, this.counted + this.delta);
  }

  /** Over the configured bound: non-critical events should be shed. */
  overloaded(): boolean {
    return this.value >= this.config.ingest.maxOutboxDepth;
  }

  /** Ingest committed one more event (counted until the next re-count). */
  recordPersisted(): void {
    this.delta++;
  }

  /** Re-reads the depth from Postgres (cheap: a partial index holds only unstarted rows). Never throws. */
  async refresh(): Promise<void> {
    if (this.counting) return;
    this.counting = true;
    try {
      const row = await this.db
        .selectFrom('events')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('workflow_started_at', 'is', null)
        .executeTakeFirstOrThrow();
      this.counted = row.n;
      this.delta = 0;
      this.metrics.outboxDepth.set(row.n);
    } catch (err) {
      this.logger.warn({ err }, 'could not count the outbox; will retry');
    } finally {
      this.counting = false;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.config.ingest.outboxSweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
