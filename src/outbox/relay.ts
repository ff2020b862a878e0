import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { activeTracing } from '../telemetry/tracing';
import { startEventWorkflow, type StartableEvent } from '../temporal/startEventWorkflow';
import { OutboxDepth } from './depth';
import { START_CLAIM_SECONDS } from './startClaim';
import type { StartPacer } from './startPacer';

/**
 * One start attempt's deadline. Without it the client's gRPC retries keep a start against a
 * stopped Temporal pending for ~20 s, holding an in-flight slot and blocking the relay behind a
 * row that may not be the most urgent one; a failure releases the row to the next sweep. Long
 * enough that a busy (not dead) Temporal is not mistaken for a dead one.
 */
const START_DEADLINE_MS = 10_000;

/**
 * Tracing on: the ingest span's traceparent, from the event's `received` checkpoint (an index
 * probe per claimed row), so the start continues the request's trace. Tracing off: not read.
 */
const TRACEPARENT_COLUMN = sql`, (select c.detail->>'traceparent' from event_checkpoints c
  where c.event_id = events.id and c.stage = 'received' limit 1) as traceparent`;

/** Rows claimed per sweep. */
const SWEEP_BATCH = 200;

/**
 * The outbox relay: starts the event workflows of committed events. Ingest only persists (and
 * notifies); relays run in the workers, claim unstarted rows with SKIP LOCKED under a lease (so
 * any number of workers share the outbox and each row is started once), start them terminal-first
 * and batch the "started" marks. Woken by the ingest notification, and polls as a fallback.
 * If Temporal is down nothing is lost: the rows stay unstarted and the next sweep retries.
 */
export class OutboxRelay {
  private readonly inflightIds = new Set<string>();
  private pendingMarks: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;
  /** A wake-up arrived during a sweep: sweep again as soon as it ends. */
  private kicked = false;
  /** After a failed start, wake-ups are ignored until then: the poll paces retries against a down Temporal. */
  private quietUntil = 0;
  constructor(
    private readonly db: Kysely<Database>,
    private readonly client: Client,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** Keeps starts eager by pacing them to what this worker runs (src/outbox/startPacer.ts). */
    private readonly pacer?: StartPacer,
  ) {
    this.depth = new OutboxDepth(db, config, logger, metrics);
  }

  /** Keeps the outbox gauge current while relaying. */
  private readonly depth: OutboxDepth;

  /** Gives a row back to the relays (after a failed or skipped start). Never throws. */
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
    this.inflightIds.add(event.id);
    await this.pacer?.take();
    let runsHere = false;
    try {
      const startIt = () =>
        this.client.withDeadline(Date.now() + START_DEADLINE_MS, () => startEventWorkflow(this.client, this.config, event, { eager: true }));
      const tracing = activeTracing();
      const { started, eagerlyStarted } = await (tracing ? tracing.inRelayStart(event, startIt) : startIt());
      if (started) this.metrics.workflowStarts.inc({ eager: String(Boolean(eagerlyStarted)) });
      // Marked even when eager (the routing step marks it too): until then the row counts towards
      // the outbox depth that sheds ingest, and a routing step can wait minutes for the routing map.
      this.mark(event.id);
      runsHere = started && Boolean(eagerlyStarted);
      return true;
    } catch (err) {
      // Leave the row in the outbox; the next sweep retries. Logged, never dropped. (A start that
      // timed out may still have happened: the retry then gets "already started" and marks it.)
      this.logger.warn({ err, event_id: event.id, workflow_id: event.workflow_id }, 'workflow start failed; left in outbox');
      await this.releaseClaim(event.id, true);
      return false;
    } finally {
      if (runsHere) this.pacer?.startedHere(event.id);
      else this.pacer?.notHere();
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
        // The workflows are running; an unmarked row only means a later sweep will find them
        // "already started" later and mark them then.
        this.logger.warn({ err, count: ids.length }, 'could not mark started workflows; a later sweep will');
      });
    await this.flushing;
  }

  /**
   * One sweep: claim and start the oldest unclaimed unstarted events, terminal ones first. Safe to
   * run in every worker at once: rows are claimed with SKIP LOCKED under a lease, so each is
   * started by one process (and starting an already-started workflow is a no-op anyway). Returns
   * how many rows it claimed.
   */
  async sweep(limit = SWEEP_BATCH): Promise<number> {
    const claimed = await sql<StartableEvent & { received_at: Date }>`
      update events set start_claimed_until = now() + make_interval(secs => ${START_CLAIM_SECONDS})
      where id in (
        select id from events
        where workflow_started_at is null and (start_claimed_until is null or start_claimed_until < now())
        order by terminal desc, received_at
        limit ${limit}
        for update skip locked
      )
      returning id, partner_id, call_id, event_type, terminal, workflow_id, received_at${activeTracing() ? TRACEPARENT_COLUMN : sql``}`.execute(this.db);
    const rows = claimed.rows
      .filter((r) => !this.inflightIds.has(r.id))
      .sort((a, b) => Number(b.terminal) - Number(a.terminal) || a.received_at.getTime() - b.received_at.getTime());
    if (rows.length === 0) return 0;
    let next = 0;
    let started = 0;
    let failed = false;
    // With a pacer, its places bound the starts in flight (and what they run here) instead.
    const concurrency = Math.max(1, Math.min(rows.length, this.config.ingest.maxInflightStarts));
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!failed && next < rows.length) {
          if (await this.start(rows[next++]!)) started++;
          else failed = true;
        }
      }),
    );
    if (failed) {
      this.quietUntil = Date.now() + this.config.ingest.outboxSweepIntervalMs;
      // Temporal is struggling: give the rest back now rather than sit on their claims.
      await Promise.all(rows.slice(next).map((r) => this.releaseClaim(r.id, false)));
    }
    await this.flush();
    if (started > 0) this.logger.info({ started, failed: failed || undefined }, 'outbox relay started workflows');
    return failed ? 0 : claimed.rows.length;
  }

  /** Wakes the relay now (an ingest notification): sweeps at once, or right after the running sweep. */
  kick(): void {
    if (!this.sweepTimer || Date.now() < this.quietUntil) return; // not relaying, or backing off
    if (this.sweeping) {
      this.kicked = true;
      return;
    }
    void this.relayTick();
  }

  private async relayTick(fromTimer = false): Promise<void> {
    // The depth gauge follows the backlog even while a long sweep runs.
    if (fromTimer) void this.depth.refresh();
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      // A full batch, or a wake-up during the sweep: there is more, so go on without waiting.
      for (;;) {
        this.kicked = false;
        const claimed = await this.sweep();
        // A failed start backs off until the next poll, however many wake-ups arrive.
        if (Date.now() < this.quietUntil || (!this.kicked && claimed < SWEEP_BATCH)) break;
      }
    } catch (err) {
      this.logger.warn({ err }, 'outbox sweep failed; will retry');
    } finally {
      this.sweeping = false;
    }
  }

  /** The relay (workers): a sweep every OUTBOX_SWEEP_INTERVAL, and at once on kick(). */
  startRelay(): void {
    this.sweepTimer = setInterval(() => void this.relayTick(true), this.config.ingest.outboxSweepIntervalMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.flush();
  }
}
