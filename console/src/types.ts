/** The wire shapes the console reads (the OpenAPI document is the contract; these are its subset). */
export interface Principal {
  kind: 'admin' | 'partner' | 'tenant';
  partner_id: string | null;
  tenant_id: string | null;
  via: 'api_key' | 'console_session' | 'portal_session';
}
export interface Session {
  principal: Principal;
  csrf_token: string | null;
  expires_at: string | null;
  temporal_ui_url?: string | null;
}
export interface Tenant {
  id: string;
  name: string;
  partner_id: string;
  partner_tenant_ref?: string | null;
}
export interface Endpoint {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  event_types: string[] | null;
  enabled: boolean;
  disabled_reason: string | null;
  max_attempts: number | null;
  circuit_state: string;
  created_at: string;
}
export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  call_id: string;
  endpoint_id: string;
  /** null for a delivery to a partner's own operations endpoint */
  tenant_id: string | null;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  dead_letter_reason: string | null;
  workflow_id: string | null;
  updated_at: string;
}
export interface Attempt {
  attempt_number: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  /** As sent, credentials redacted; null for attempts made before they were kept. */
  request_headers: Record<string, string> | null;
  error: string | null;
}
export interface EventView {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  call_id: string;
  event_type: string;
  status: string;
  source: string;
  received_at: string;
  workflow_id: string;
  delivered_body: string | null;
  checkpoints: Array<{ stage: string; detail: unknown; at: string }>;
  deliveries: Array<{
    id: string;
    endpoint_id: string;
    endpoint_url: string;
    status: string;
    attempt_count: number;
    last_status_code: number | null;
    dead_letter_reason: string | null;
    workflow_id: string | null;
    next_attempt_at: string | null;
    attempts: Attempt[];
  }>;
}
export interface StatsBucket {
  start: string;
  attempts: number;
  succeeded: number;
  p50_ms: number | null;
  p95_ms: number | null;
}
export interface EndpointStats {
  attempts: number;
  succeeded: number;
  success_rate: number | null;
  buckets: StatsBucket[];
}
export interface Page<T> {
  data: T[];
  next_after?: string | null;
}
