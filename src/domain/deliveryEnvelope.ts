/**
 * The body tenants receive. Built from the stored event only, so every attempt and every redrive
 * sends byte-identical JSON under the same webhook-id (the event id).
 */
export interface DeliveryEnvelope {
  id: string;
  type: string;
  /** Null only on an operational event sent to a partner-level operations endpoint. */
  tenant_id: string | null;
  call_id: string;
  occurred_at: string;
  received_at: string;
  source?: 'reconciliation' | 'operational';
  data: Record<string, unknown>;
}

export function buildEnvelope(e: {
  id: string;
  event_type: string;
  tenant_id: string | null;
  call_id: string;
  occurred_at: Date;
  received_at: Date;
  source: string;
  payload: { data?: Record<string, unknown> };
}): DeliveryEnvelope {
  return {
    id: e.id,
    type: e.event_type,
    tenant_id: e.tenant_id,
    call_id: e.call_id,
    occurred_at: e.occurred_at.toISOString(),
    received_at: e.received_at.toISOString(),
    ...(e.source === 'reconciliation' || e.source === 'operational' ? { source: e.source } : {}),
    data: e.payload.data ?? {},
  };
}
