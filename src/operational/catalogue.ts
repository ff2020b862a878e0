/**
 * The operational event catalogue: what Switchboard tells a partner (and a tenant, for its own
 * endpoints) about the health of its integration. Each type is written to `operational_events` by
 * the code that observes it, in the same transaction as the change it reports.
 */
export const OPERATIONAL_EVENT_TYPES = {
  'endpoint.disabled': 'An endpoint failed continuously for ENDPOINT_DISABLE_AFTER and was disabled (detail: endpoint_id, failing_since).',
  'endpoint.circuit_opened': "An endpoint's circuit opened: its deliveries wait without spending attempts (detail: endpoint_id, reason).",
  'endpoint.circuit_closed': "An endpoint's circuit closed again after a successful probe (detail: endpoint_id).",
  'delivery.dead_lettered': 'A delivery exhausted its attempts or failed permanently and waits for a redrive (detail: delivery_id, event_id, endpoint_id, reason).',
  'delivery.recovered': 'A redriven delivery was delivered (detail: delivery_id, event_id, endpoint_id).',
  'incident.raised': 'Reconciliation found terminal calls without webhooks (detail: incident_id, severity, ...).',
  'incident.resolved': 'Someone resolved an incident (detail: incident_id, note, by).',
  'event.quarantined': 'An event could not be routed to exactly one tenant and waits for a partner decision (detail: event_id, reason).',
  'source.rejected': 'An inbound source verified a request but could not map it (422); at most one per source per 5 minutes, every rejection stays listed under GET /v1/sources/{id}/receipts (detail: source_id, receipt_id, reason, window_minutes).',
} as const;

export type OperationalEventType = keyof typeof OPERATIONAL_EVENT_TYPES;
export const OPERATIONAL_EVENT_TYPE_NAMES = Object.keys(OPERATIONAL_EVENT_TYPES) as [OperationalEventType, ...OperationalEventType[]];
