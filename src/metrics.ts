import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Current counts read from Postgres at scrape time (the API server registers the reader). */
export interface DatabaseSnapshot {
  openCircuits: number;
  openQuarantine: number;
  deadLettered: number;
}

/**
 * Prometheus metrics, one registry per process (server or worker). Names are the contract with
 * dashboards and docs/operations.md: change them only with the runbook. Which process exposes
 * which metric is listed there too (counters live where the work happens: ingest in the server,
 * deliveries and reconciliation in the worker).
 */
// eslint-disable-next-line max-lines-per-function -- the declarations of every metric, a list whose names are an interface (docs/operations.md)
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // State gauges (open circuits, quarantine, dead letters) are counted in Postgres when scraped:
  // always true across any number of workers, and nothing to keep in sync on every transition.
  // One query per scrape serves all three gauges.
  let readSnapshot: (() => Promise<DatabaseSnapshot>) | undefined;
  let inFlight: { at: number; snapshot: Promise<DatabaseSnapshot> } | undefined;
  const snapshot = (): Promise<DatabaseSnapshot> | undefined => {
    if (!readSnapshot) return undefined;
    if (!inFlight || Date.now() - inFlight.at > 1_000) inFlight = { at: Date.now(), snapshot: readSnapshot() };
    return inFlight.snapshot;
  };
  const fromSnapshot = (pick: keyof DatabaseSnapshot) =>
    async function collect(this: Gauge) {
      const s = snapshot();
      if (!s) return;
      try {
        this.set((await s)[pick]);
      } catch {
        // Postgres unreachable: keep the last value rather than fail the whole scrape.
      }
    };

  const m = {
    /** The API server calls this once; until then the state gauges stay at 0 and are not queried. */
    useDatabaseSnapshot(reader: () => Promise<DatabaseSnapshot>) {
      readSnapshot = reader;
    },
    registry,
    ingestTotal: new Counter({
      name: 'switchboard_ingest_total',
      help: 'Inbound webhook requests by outcome (accepted, duplicate, rejected, shed, rate_limited, unavailable)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ingestWriteBatchSize: new Histogram({
      name: 'switchboard_ingest_write_batch_events',
      help: 'Events stored per ingest statement (group commit under load)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    ingestLatency: new Histogram({
      name: 'switchboard_ingest_latency_seconds',
      help: 'Time from request to acknowledgement, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ingestRejections: new Counter({
      name: 'switchboard_ingest_rejections_total',
      help: 'Inbound requests refused with a 4xx (outcome "rejected"), by reason (signature codes, invalid_json, payload_too_large, validation_failed, ...)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    signatureRejections: new Counter({
      name: 'switchboard_signature_rejections_total',
      help: 'Inbound requests refused for a missing or bad signature',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'switchboard_outbox_depth',
      help: 'Acknowledged events whose workflow has not been started yet',
      registers: [registry],
    }),
    workflowStarts: new Counter({
      name: 'switchboard_workflow_starts_total',
      help: 'Event workflows started by the outbox relay, by whether the server handed the first workflow task straight back (eager start) or queued it',
      labelNames: ['eager'] as const,
      registers: [registry],
    }),
    firstAttempts: new Counter({
      name: 'switchboard_first_attempts_total',
      help: 'Event workflows\' first delivery attempts by where they ran: inline (inside the workflow task) or deferred (DELIVERY_INLINE_ATTEMPTS were already running; made as a task-queue activity)',
      labelNames: ['mode'] as const,
      registers: [registry],
    }),
    deliveriesTotal: new Counter({
      name: 'switchboard_deliveries_total',
      help: 'Delivery attempts by outcome (success, failure) and HTTP status class (2xx..5xx, network)',
      labelNames: ['outcome', 'status_class'] as const,
      registers: [registry],
    }),
    attemptLatency: new Histogram({
      name: 'switchboard_delivery_attempt_seconds',
      help: 'Duration of one outbound delivery attempt',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'switchboard_dead_lettered_total',
      help: 'Deliveries that exhausted their retries or failed permanently',
      registers: [registry],
    }),
    quarantined: new Counter({
      name: 'switchboard_quarantined_total',
      help: 'Events quarantined instead of delivered (tenant conflict, unroutable)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    openCircuits: new Gauge({
      name: 'switchboard_open_circuits',
      help: 'Endpoints whose circuit breaker is currently open or half-open (counted in Postgres at scrape)',
      registers: [registry],
      collect: fromSnapshot('openCircuits'),
    }),
    quarantineOpen: new Gauge({
      name: 'switchboard_quarantine_open',
      help: 'Quarantined events waiting for review (counted in Postgres at scrape)',
      registers: [registry],
      collect: fromSnapshot('openQuarantine'),
    }),
    deadLetterBacklog: new Gauge({
      name: 'switchboard_dead_letter_backlog',
      help: 'Deliveries dead-lettered now, waiting for a redrive (counted in Postgres at scrape)',
      registers: [registry],
      collect: fromSnapshot('deadLettered'),
    }),
    reconciliationMissingRatio: new Gauge({
      name: 'switchboard_reconciliation_missing_ratio',
      help: 'missing / terminal calls in the last reconciliation run, by partner',
      labelNames: ['partner_id'] as const,
      registers: [registry],
    }),
    incidentsRaised: new Counter({
      name: 'switchboard_incidents_raised_total',
      help: 'Incidents raised by reconciliation',
      registers: [registry],
    }),
    retentionPurged: new Counter({
      name: 'switchboard_retention_purged_rows_total',
      help: 'Rows deleted by the retention purge, by table',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
