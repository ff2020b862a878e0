import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, one registry per process (server or worker). Names are the contract with
 * dashboards and docs/operations.md: change them only with the runbook.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    ingestTotal: new Counter({
      name: 'switchboard_ingest_total',
      help: 'Inbound webhook requests by outcome (accepted, duplicate, rejected, shed, rate_limited, unavailable)',
      labelNames: ['outcome'] as const,
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
      help: 'Endpoints whose circuit breaker is currently open',
      registers: [registry],
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
