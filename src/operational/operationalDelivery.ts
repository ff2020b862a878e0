import type { Selectable } from 'kysely';
import type { OperationalEventsTable } from '../db/schema';
import { endpointWorkflowId, eventWorkflowId } from '../domain/workflowIds';
import { operationalEventToWire } from './listOperationalEvents';

/**
 * The deterministic ids of an operational event's delivery, so every step of the dispatcher can
 * be repeated after a crash without doubling anything: the event row and delivery rows are
 * inserted "on conflict do nothing" and the workflow start answers "already started".
 */
export function operationalEventRowId(opId: string): string {
  return `evt_ops${opId}`;
}

export function operationalDeliveryId(opId: string, endpointId: string): string {
  return `dlv_ops${opId}_${endpointId}`;
}

/** One stored event per operational event: its call id is unique per partner by construction. */
export function operationalCallId(opId: string): string {
  return `ops_${opId}`;
}

export function operationalEventWorkflowId(partnerId: string, opId: string, type: string): string {
  return eventWorkflowId(partnerId, operationalCallId(opId), type);
}

export function operationalDeliveryWorkflowId(partnerId: string, opId: string, type: string, endpointId: string): string {
  return endpointWorkflowId(operationalEventWorkflowId(partnerId, opId, type), endpointId);
}

/** What the receiver gets as the envelope's data: the operational event as GET /v1/operational-events shows it. */
export function operationalPayload(e: Selectable<OperationalEventsTable>): Record<string, unknown> {
  return { data: operationalEventToWire(e) };
}
