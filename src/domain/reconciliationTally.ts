/**
 * Per-partner counts of one reconciliation run, summed page by page. Pure: the workflow carries
 * the running tally across continue-as-new, the activities produce one per page.
 */
export interface PartnerTally {
  /** Terminal calls in the window. */
  terminal: number;
  /** Reconciled: the terminal event was delivered, had no subscribers, or was quarantined on purpose. */
  processed: number;
  /** Everything else: never received, never started, stuck, dead-lettered or still in flight. */
  missing: number;
  /** Of the missing, still being worked on by a running workflow (not replayed: that would duplicate). */
  inFlight: number;
  /** Of the missing, replays started by this run. */
  replayed: number;
  /** Of the missing, replays that could not be started. */
  failed: number;
  /** A few missing call ids, for the incident. */
  samples: string[];
}

export type Tally = Record<string, PartnerTally>;

export const MAX_SAMPLES = 10;

export function emptyPartnerTally(): PartnerTally {
  return { terminal: 0, processed: 0, missing: 0, inFlight: 0, replayed: 0, failed: 0, samples: [] };
}

export function mergeTally(into: Tally, page: Tally): Tally {
  const out: Tally = { ...into };
  for (const [partnerId, p] of Object.entries(page)) {
    const a = out[partnerId] ?? emptyPartnerTally();
    out[partnerId] = {
      terminal: a.terminal + p.terminal,
      processed: a.processed + p.processed,
      missing: a.missing + p.missing,
      inFlight: a.inFlight + p.inFlight,
      replayed: a.replayed + p.replayed,
      failed: a.failed + p.failed,
      samples: [...a.samples, ...p.samples].slice(0, MAX_SAMPLES),
    };
  }
  return out;
}

export function sumTally(t: Tally): Omit<PartnerTally, 'samples'> {
  const total = { terminal: 0, processed: 0, missing: 0, inFlight: 0, replayed: 0, failed: 0 };
  for (const p of Object.values(t)) {
    total.terminal += p.terminal;
    total.processed += p.processed;
    total.missing += p.missing;
    total.inFlight += p.inFlight;
    total.replayed += p.replayed;
    total.failed += p.failed;
  }
  return total;
}
