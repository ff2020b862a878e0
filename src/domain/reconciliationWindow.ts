/**
 * Which calls a scheduled reconciliation looks at. Pure and free of Node APIs: the workflow
 * imports it to derive its window from the schedule's nominal start time (a Schedule's action
 * arguments are fixed, so "yesterday" cannot be baked into them).
 */
export interface ReconciliationWindow {
  /** ISO-8601, inclusive. */
  from: string;
  /** ISO-8601, exclusive. */
  to: string;
}

const DAY_MS = 86_400_000;

/**
 * The last whole UTC day that ended at least `lagMs` before `scheduledAt`: with the default daily
 * 03:00 UTC schedule and a 2 h lag that is yesterday 00:00 -> today 00:00. Whole UTC days (not
 * "the 24 h before") keep consecutive runs contiguous even when the schedule's own time zone
 * shifts for daylight saving, and make a rerun or a backfill of the same day cover the same calls.
 */
export function scheduledWindow(scheduledAt: Date, lagMs: number): ReconciliationWindow {
  const settled = scheduledAt.getTime() - lagMs;
  const to = Math.floor(settled / DAY_MS) * DAY_MS;
  return { from: new Date(to - DAY_MS).toISOString(), to: new Date(to).toISOString() };
}
