/**
 * The states and kinds the domain speaks in. The database stores them as text columns
 * (src/db/schema.ts types those columns with these unions); the wire schemas, the workflows and the
 * CLI read them from here.
 */

/** An event's lifecycle, settled by its event workflow (or by an operator's discard). */
export type EventStatus =
  | 'received'
  | 'tenant_resolved'
  | 'delivering'
  | 'delivered'
  | 'partially_delivered'
  | 'dead_lettered'
  | 'quarantined'
  | 'no_subscribers'
  | 'discarded';

/** One (event, endpoint) delivery. */
export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'dead_lettered' | 'waiting_circuit';

/** An endpoint's circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What a tenant route matches an inbound event on. */
export type RouteKind = 'crm_account_id' | 'partner_tenant_ref' | 'call_id' | 'voice_session_id';

/** An event no tenant could be resolved for, until a partner releases or discards it. */
export type QuarantineStatus = 'open' | 'released' | 'discarded';

/** Whom an API key speaks for. */
export type ApiKeyScope = 'partner' | 'tenant';

/** What reconciliation did about an event it found missing or stuck. */
export type ReplayAction = 'synthesized' | 'started' | 'restarted' | 'redriven';
