import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { AppError } from '../errors';
import type { PartnerSecretCache } from '../ingest/partnerSecrets';
import { TokenBuckets } from '../ingest/tokenBucket';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { clipped, isShownToPartner, MAX_ID, MAX_TEXT } from './refusalPolicy';

export interface RecorderBudget {
  /** Per partner: a burst of refusals, then this many a second. */
  partnerBurst: number;
  partnerPerSecond: number;
  /** All partners together: the most partner lookups and inserts a flood can cause. */
  globalBurst: number;
  globalPerSecond: number;
  /** Stores in flight at once; more are dropped rather than queued (a queue is a memory leak under a flood). */
  maxInFlight: number;
  now: () => number;
}

/** 20 at once, then one every 6 s (10 a minute) per partner; documented in docs/ingest.md and the route. */
export const DEFAULT_BUDGET: RecorderBudget = {
  partnerBurst: 20,
  partnerPerSecond: 1 / 6,
  globalBurst: 50,
  globalPerSecond: 20,
  maxInFlight: 4,
  now: () => Date.now(),
};

interface RecorderDeps {
  db: Kysely<Database>;
  partnerSecrets: PartnerSecretCache;
  logger: Logger;
}

/**
 * Stores a sample of the default ingest route's refusals for the partner to see (GET
 * /v1/partners/{partner_id}/ingest-refusals). It is called after the refusal is decided and never
 * awaited: the answer to the caller does not wait for it and nothing it does can change that
 * answer. Bounded three ways, so a flood of refused requests cannot become a flood of writes: a
 * global budget (checked before anything is looked up), a per-partner budget (only for partners
 * that exist), and a cap on inserts in flight. A refusal over the partner's budget is counted and
 * the count is stored on that partner's next stored refusal (`dropped_before`).
 */
export class IngestRefusalRecorder {
  private readonly global: TokenBuckets;
  private readonly perPartner: TokenBuckets;
  private readonly dropped = new Map<string, number>();
  private inFlight = 0;

  constructor(
    private readonly deps: RecorderDeps,
    private readonly budget: RecorderBudget = DEFAULT_BUDGET,
  ) {
    this.global = new TokenBuckets(budget.globalPerSecond, budget.globalBurst);
    this.perPartner = new TokenBuckets(budget.partnerPerSecond, budget.partnerBurst);
  }

  /**
   * The receipt's log line (what the request was understood to be) and the refusal it got. The
   * ingest route does not await the promise (tests do); it never rejects.
   */
  record(line: Record<string, unknown>, err: AppError): Promise<void> {
    try {
      const reason = String(line['reason'] ?? (err as { reason?: unknown }).reason ?? err.code);
      if (!isShownToPartner(err, reason)) return Promise.resolve();
      const partnerId = String(line['partner_id']);
      if (this.inFlight >= this.budget.maxInFlight || this.global.take('all', this.budget.now()) > 0) {
        this.countDropped(partnerId);
        return Promise.resolve();
      }
      this.inFlight += 1;
      return this.store(partnerId, line, err, reason)
        .catch((caught: unknown) => this.deps.logger.warn({ err: caught }, 'could not store an ingest refusal'))
        .finally(() => {
          this.inFlight -= 1;
        });
    } catch (caught) {
      this.deps.logger.warn({ err: caught }, 'could not record an ingest refusal');
      return Promise.resolve();
    }
  }

  /** Counted per partner id as named in the URL; the map is cleared, never grown without bound. */
  private countDropped(partnerId: string): void {
    if (this.dropped.size > 10_000) this.dropped.clear();
    this.dropped.set(partnerId, (this.dropped.get(partnerId) ?? 0) + 1);
  }

  private async store(partnerId: string, line: Record<string, unknown>, err: AppError, reason: string): Promise<void> {
    // Cached (the ingest route looked it up already, except for refusals before the lookup).
    if (!(await this.deps.partnerSecrets.get(partnerId)).exists) return;
    if (this.perPartner.take(partnerId, this.budget.now()) > 0) {
      this.countDropped(partnerId);
      return;
    }
    const droppedBefore = this.dropped.get(partnerId) ?? 0;
    this.dropped.delete(partnerId);
    await this.deps.db
      .insertInto('ingest_refusals')
      .values({
        id: newId('irf'),
        partner_id: partnerId,
        status: err.status,
        code: err.code,
        reason: clipped(reason, MAX_ID) ?? err.code,
        message: clipped(err.message, MAX_TEXT) ?? '',
        source_ip: clipped(line['source_ip'], MAX_ID),
        webhook_id: clipped(line['webhook_id'], MAX_ID),
        event_type: clipped(line['event_type'], MAX_ID),
        call_id: clipped(line['call_id'], MAX_ID),
        dropped_before: droppedBefore,
      })
      .execute();
  }
}
