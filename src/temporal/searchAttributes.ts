import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * Custom search attributes operators filter on in the Temporal UI, e.g.
 * `TenantId = "ten_…" AND DeliveryStatus = "dead_lettered"`. Registered on the dev server at start
 * (--search-attribute) and on a production cluster with `temporal operator search-attribute create`.
 * This module is imported by workflow code too, so it must stay free of Node APIs.
 */
export const PartnerId = defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD);
export const TenantId = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CallId = defineSearchAttributeKey('CallId', SearchAttributeType.KEYWORD);
export const EventType = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
/** Named apart from the DeliveryStatus union (src/domain/statuses.ts); the attribute itself is `DeliveryStatus`. */
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);

export const CUSTOM_SEARCH_ATTRIBUTES = [PartnerId, TenantId, CallId, EventType, DeliveryStatusKey] as const;

/** `Name=Type` pairs as the `temporal` CLI spells them. */
export function searchAttributeFlags(): string[] {
  return CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name}=Keyword`);
}

/** What an event or delivery workflow is tagged with; the tenant is unknown until resolved. */
export interface WorkflowTags {
  partnerId: string;
  tenantId?: string;
  callId: string;
  eventType: string;
  deliveryStatus?: string;
}

/** The one spelling of the attribute set every event and delivery workflow starts with. */
export function workflowSearchAttributes(tags: WorkflowTags): SearchAttributePair[] {
  return [
    { key: PartnerId, value: tags.partnerId },
    ...(tags.tenantId !== undefined ? [{ key: TenantId, value: tags.tenantId }] : []),
    { key: CallId, value: tags.callId },
    { key: EventType, value: tags.eventType },
    ...(tags.deliveryStatus !== undefined ? [{ key: DeliveryStatusKey, value: tags.deliveryStatus }] : []),
  ] as SearchAttributePair[];
}
