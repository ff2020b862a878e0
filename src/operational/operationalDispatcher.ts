import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';
import { dispatchOperationalEvent } from './dispatchOperationalEvent';

/** Rows taken per sweep. */
const SWEEP_BATCH = 50;

/**
 * Puts undispatched `operational_events` rows on the delivery path (./dispatchOperationalEvent).
 * Runs in every worker, polling: operational events are rare (an endpoint failing, a dead
 * letter), so a poll of the partial index `operational_events_undispatched` costs nothing on the
 * ingest path, which never touches this table. Rows are locked SKIP LOCKED for the sweep, so two
 * workers never dispatch the same row at once; a crash leaves it undispatched for the next sweep,
 * and every stage is idempotent.
 */
export class OperationalDispatcher {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly temporal: Client,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err }, 'operational event dispatch failed; retrying on the next sweep'))
        .finally(() => this.schedule());
    }, this.pollMs);
  }

  /** One batch, oldest first. Returns how many rows were dispatched (tests drive it directly). */
  async sweep(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('operational_events')
        .selectAll()
        .where('dispatched_at', 'is', null)
        .orderBy('id')
        .limit(SWEEP_BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const row of rows) {
        if (this.stopped) break;
        // Stored through the pool, not this transaction: started workflows must find their rows committed.
        await dispatchOperationalEvent(this.db, this.temporal, this.config, row);
        await trx.updateTable('operational_events').set({ dispatched_at: new Date() }).where('id', '=', row.id).execute();
      }
      return rows.length;
    });
  }
}
