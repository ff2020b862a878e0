/**
 * What the retention purge deletes, in which order, and up to when. Pure: the workflow computes
 * the cutoffs once (from its own deterministic clock) and carries them across continue-as-new, so
 * rows that age past the window while a purge is running wait for the next day instead of
 * keeping the purge going forever.
 */

/**
 * The purge targets in execution order. The order is the foreign-key order: a reconciliation
 * run's replays and incidents go before the run itself. Events, deliveries, call states and the
 * partner call log are never purged (see docs/retention.md).
 */
export const PURGE_TARGETS = [
  'receipts',
  'source_receipts',
  'delivery_attempts',
  'event_checkpoints',
  'operational_events',
  'reconciliation_replays',
  'incidents',
  'reconciliation_runs',
  'quarantine',
  'endpoint_rate_windows',
  'audit_log',
  'ingest_refusals',
] as const;

export type PurgeTarget = (typeof PURGE_TARGETS)[number];

/** Rate-limit counters are one-second windows; only the current one is ever read. */
export const RATE_WINDOW_RETENTION_MS = 60_000;

/** The smallest window accepted: anything less is almost certainly a unit mistake. */
export const MIN_RETENTION_MS = 3_600_000;

export interface RetentionCutoffs {
  /** ISO timestamp: rows stamped strictly before it are past the retention window. */
  before: string;
  /** endpoint_rate_windows.window_start (epoch seconds) strictly below this is stale. */
  rateWindowBefore: number;
}

export function retentionCutoffs(nowMs: number, retentionMs: number): RetentionCutoffs {
  if (!Number.isFinite(retentionMs) || retentionMs < MIN_RETENTION_MS) {
    throw new RangeError(`retention window must be at least ${MIN_RETENTION_MS} ms, got ${retentionMs}`);
  }
  return {
    before: new Date(nowMs - retentionMs).toISOString(),
    rateWindowBefore: Math.floor((nowMs - RATE_WINDOW_RETENTION_MS) / 1000),
  };
}

/** Where a purge stands: the target being worked on (index into PURGE_TARGETS) or done. */
export interface PurgePosition {
  target: number;
}

/**
 * After a batch: a batch shorter than the limit means the target has no more rows past the
 * cutoff, so move on to the next; a full batch means there may be more.
 */
export function advance(position: PurgePosition, deleted: number, batchSize: number): PurgePosition {
  return deleted < batchSize ? { target: position.target + 1 } : position;
}

export function isDone(position: PurgePosition): boolean {
  return position.target >= PURGE_TARGETS.length;
}

export type PurgeTally = Partial<Record<PurgeTarget, number>>;

export function addToTally(tally: PurgeTally, target: PurgeTarget, deleted: number): PurgeTally {
  return deleted === 0 ? tally : { ...tally, [target]: (tally[target] ?? 0) + deleted };
}
