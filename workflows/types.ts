import type { RetrySettings } from '../src/domain/retrySchedule';

/** Workflow inputs are ids and policy only: payloads and secrets stay in Postgres, out of histories. */
export interface EventWorkflowInput {
  eventId: string;
  partnerId: string;
  callId: string;
  eventType: string;
  policy: EventPolicy;
  /** Set when a partner releases a quarantined event to a tenant. */
  forcedTenantId?: string;
}

export interface EventPolicy {
  retry: RetrySettings;
  deliveryTimeoutMs: number;
  tenantWaitMs: number;
  tenantPollMs: number;
}

export interface EventWorkflowResult {
  status: string;
  tenantId?: string;
  reason?: string;
  deliveries: Array<{ deliveryId: string; endpointId: string; status: string }>;
}

export interface DeliveryWorkflowInput {
  deliveryId: string;
  eventId: string;
  endpointId: string;
  /** The endpoint's host, for summaries only (never the full URL: paths can carry tokens). */
  destination: string;
  retry: RetrySettings;
  deliveryTimeoutMs: number;
  /** attempt_count when this run began (non-zero for a redrive): the attempt budget counts from it. */
  attemptBase: number;
  /**
   * Set when the event workflow already made the first attempt inline and hands the rest over:
   * wait this long (backoff, Retry-After, circuit or rate wait) before the next attempt, or park
   * the delivery at once when that attempt failed permanently. Absent for redrives and endpoint
   * tests, which start with an attempt.
   */
  continuation?: DeliveryContinuation;
}

export type DeliveryContinuation =
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'wait'; delayMs: number; reason: 'circuit_open' | 'rate_limited' }
  | { kind: 'park'; reason: string; attempts: number };

export interface DeliveryWorkflowResult {
  status: 'delivered' | 'dead_lettered';
  attempts: number;
  reason?: string;
}

/**
 * The signatures clients start these workflows by (`client.workflow.start<EventWorkflow>(…)`).
 * Clients type their starts with these rather than `typeof eventWorkflow`: importing the workflow
 * modules would close an import cycle (workflows → activity types → reconciliation replay →
 * workflow starts → workflows). Each workflow module checks at compile time that it matches.
 */
export type EventWorkflow = (input: EventWorkflowInput) => Promise<EventWorkflowResult>;
export type DeliveryWorkflow = (input: DeliveryWorkflowInput) => Promise<DeliveryWorkflowResult>;

/** Compiles only when `Implementation` can stand in for `Signature`. */
export type Implements<Implementation extends Signature, Signature> = Implementation;
