import type { ColumnType, Generated, Selectable } from 'kysely';
import type { ApiKeyScope, CircuitState, DeliveryStatus, EventStatus, QuarantineStatus, ReplayAction, RouteKind } from '../domain/statuses';

/** Kysely's view of the tables created by ./migrations. test/integration/schemaTypes.test.ts checks the two agree (tables, columns, nullability). */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;
/** A nullable JSON column with a default (optional on insert). */
type OptionalJson<T> = ColumnType<T | null, string | T | null | undefined, string | T | null>;

export interface PartnersTable {
  id: string;
  name: string;
  ops_webhook_url: string | null;
  reconciliation_threshold: number | null;
  created_at: Timestamp;
}

export interface SigningSecretsTable {
  id: string;
  owner_kind: 'partner' | 'endpoint';
  owner_id: string;
  secret_ciphertext: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  /** whpk_… of an Ed25519 (v1a) key; null for an HMAC secret. */
  public_key: Generated<string | null>;
}

export interface TenantsTable {
  id: string;
  partner_id: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  scope: ApiKeyScope;
  partner_id: string;
  tenant_id: string | null;
  prefix: string;
  key_hash: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface TenantRoutesTable {
  id: string;
  partner_id: string;
  tenant_id: string;
  kind: RouteKind;
  value: string;
  created_at: Timestamp;
}

export interface EndpointsTable {
  id: string;
  partner_id: string;
  /** Null only for a partner-level operations endpoint (CHECK endpoints_tenant_or_operations). */
  tenant_id: string | null;
  /** 'events': tenant traffic; 'operations': operational events only (src/operational). */
  purpose: Generated<'events' | 'operations'>;
  url: string;
  description: string | null;
  event_types: string[] | null;
  enabled: Generated<boolean>;
  max_attempts: number | null;
  rate_limit_per_second: number | null;
  circuit_state: Generated<CircuitState>;
  consecutive_failures: Generated<number>;
  circuit_opened_at: NullableTimestamp;
  failing_since: NullableTimestamp;
  circuit_window_ends_at: NullableTimestamp;
  circuit_window_attempts: Generated<number>;
  circuit_window_failures: Generated<number>;
  circuit_probes: Generated<number>;
  disabled_reason: string | null;
  /** Standard Webhooks signature: `v1` (HMAC-SHA256) or `v1a` (Ed25519). */
  signature_scheme: Generated<'v1' | 'v1a'>;
  /** Custom headers and receiver auth, sealed (src/delivery/deliveryAuth.ts). */
  delivery_auth_sealed: Generated<string | null>;
  /** What of delivery_auth_sealed may be shown: header names, auth kind, token URL. */
  delivery_auth_summary: OptionalJson<Record<string, unknown>>;
  payload_filter: OptionalJson<Record<string, unknown>>;
  /** payload_filter compiled to a SQL/JSON path (src/filters/compileFilter.ts). */
  payload_filter_path: Generated<string | null>;
  retry_schedule_seconds: Generated<number[] | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface EndpointRateWindowsTable {
  endpoint_id: string;
  window_start: ColumnType<string, number | string, number | string>;
  sent: number;
}

export interface EventsTable {
  id: string;
  partner_id: string;
  call_id: string;
  event_type: string;
  terminal: Generated<boolean>;
  tenant_id: string | null;
  voice_session_id: string | null;
  occurred_at: Timestamp;
  received_at: Timestamp;
  payload: Json<Record<string, unknown>>;
  source: Generated<'partner' | 'reconciliation' | 'test' | 'operational'>;
  status: Generated<EventStatus>;
  workflow_id: string;
  workflow_started_at: NullableTimestamp;
  start_attempts: Generated<number>;
  /** Lease of whoever is starting the workflow right now (one relay, or reconciliation). */
  start_claimed_until: NullableTimestamp;
  updated_at: Timestamp;
  /** The inbound source the event first came through; null: the default route (or not ingest). */
  source_id: string | null;
}

export interface ReceiptsTable {
  id: Generated<string>;
  partner_id: string;
  event_id: string;
  duplicate: boolean;
  received_at: Timestamp;
  source_ip: string | null;
  headers: Json<Record<string, string>>;
  body: string;
  /** The inbound source this request came through; null: the default route. */
  source_id: string | null;
}

export interface CallStatesTable {
  partner_id: string;
  call_id: string;
  last_event_type: string;
  last_event_id: string;
  last_occurred_at: Timestamp;
  terminal: Generated<boolean>;
  updated_at: Timestamp;
}

export interface EventCheckpointsTable {
  id: Generated<string>;
  event_id: string;
  stage: string;
  detail: Json<Record<string, unknown>> | null;
  at: Timestamp;
}

export interface DeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  /** Null only for a delivery to a partner-level operations endpoint. */
  tenant_id: string | null;
  partner_id: string;
  status: Generated<DeliveryStatus>;
  attempt_count: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  last_response_body: string | null;
  dead_letter_reason: string | null;
  redrive_count: Generated<number>;
  /** attempt_count when the current attempt budget began (0, or at the last redrive). */
  retry_attempt_base: Generated<number>;
  workflow_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  delivered_at: NullableTimestamp;
}

export interface DeliveryAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempt_number: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  /** Null for attempts recorded before migration 0016. */
  request_headers: Json<Record<string, string>> | null;
  error: string | null;
}

export interface QuarantineTable {
  id: string;
  event_id: string;
  partner_id: string;
  reason: string;
  detail: Json<Record<string, unknown>>;
  status: Generated<QuarantineStatus>;
  released_tenant_id: string | null;
  created_at: Timestamp;
  resolved_at: NullableTimestamp;
}

export interface VoiceSessionsTable {
  partner_id: string;
  call_id: string;
  voice_session_id: string | null;
  tenant_id: string | null;
  status: string;
  started_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  terminal: Generated<boolean>;
  updated_at: Timestamp;
}

export interface ReconciliationRunsTable {
  id: string;
  partner_id: string | null;
  window_from: Timestamp;
  window_to: Timestamp;
  status: Generated<string>;
  terminal_calls: Generated<number>;
  processed: Generated<number>;
  missing: Generated<number>;
  replayed: Generated<number>;
  failed: Generated<number>;
  workflow_id: string | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  in_flight: Generated<number>;
  incidents_raised: Generated<number>;
  continued_as_new: Generated<number>;
  error: string | null;
}

export interface ReconciliationReplaysTable {
  id: Generated<string>;
  run_id: string;
  partner_id: string;
  call_id: string;
  action: ReplayAction;
  event_id: string | null;
  workflow_id: string | null;
  error: string | null;
  at: Timestamp;
}

export interface IncidentsTable {
  id: string;
  partner_id: string;
  reconciliation_run_id: string | null;
  kind: string;
  severity: string;
  status: Generated<'open' | 'resolved'>;
  summary: string;
  detail: Json<Record<string, unknown>>;
  created_at: Timestamp;
  resolved_at: NullableTimestamp;
  resolution_note: string | null;
}

export interface OperationalEventsTable {
  id: Generated<string>;
  partner_id: string | null;
  tenant_id: string | null;
  type: string;
  detail: Json<Record<string, unknown>>;
  at: Timestamp;
  /** Set once the dispatcher stored its deliveries and started their workflows. */
  dispatched_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: string;
  at: Timestamp;
  partner_id: string | null;
  tenant_id: string | null;
  actor_kind: 'admin' | 'partner' | 'tenant' | 'operator_cli';
  actor_key_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  detail: Json<Record<string, unknown>>;
  client_ip: string | null;
  request_id: string | null;
}

export interface SourcesTable {
  id: string;
  partner_id: string;
  name: string;
  /** A `SourceVerification` (src/sources/sourceSchemas.ts); never holds a secret. */
  verification: Json<Record<string, unknown>>;
  /** A `SourceMapping`, or null: the body is already Switchboard's inbound event. */
  mapping: Json<Record<string, unknown>> | null;
  ip_allowlist: string[] | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface SourceSecretsTable {
  id: string;
  source_id: string;
  secret_ciphertext: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
}

export interface SourceReceiptsTable {
  id: string;
  source_id: string;
  partner_id: string;
  outcome: 'rejected' | 'ignored';
  reason: string;
  details: Json<Record<string, unknown>> | null;
  received_at: Timestamp;
  source_ip: string | null;
  headers: Json<Record<string, string>>;
  body: string;
}

/** A sampled refusal of the default ingest route, for the partner to see why (no body). */
export interface IngestRefusalsTable {
  id: string;
  partner_id: string;
  received_at: Generated<Date>;
  status: number;
  code: string;
  reason: string;
  message: string;
  source_ip: string | null;
  webhook_id: string | null;
  event_type: string | null;
  call_id: string | null;
  /** Refusals of this partner not stored (over its sample budget) since the previous stored one. */
  dropped_before: Generated<number>;
}

export interface Database {
  partners: PartnersTable;
  signing_secrets: SigningSecretsTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  tenant_routes: TenantRoutesTable;
  endpoints: EndpointsTable;
  endpoint_rate_windows: EndpointRateWindowsTable;
  events: EventsTable;
  receipts: ReceiptsTable;
  call_states: CallStatesTable;
  event_checkpoints: EventCheckpointsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  quarantine: QuarantineTable;
  voice_sessions: VoiceSessionsTable;
  reconciliation_runs: ReconciliationRunsTable;
  reconciliation_replays: ReconciliationReplaysTable;
  incidents: IncidentsTable;
  operational_events: OperationalEventsTable;
  portal_links: PortalLinksTable;
  console_sessions: ConsoleSessionsTable;
  audit_log: AuditLogTable;
  sources: SourcesTable;
  source_secrets: SourceSecretsTable;
  source_receipts: SourceReceiptsTable;
  ingest_refusals: IngestRefusalsTable;
}

export type Partner = Selectable<PartnersTable>;
export type Tenant = Selectable<TenantsTable>;
export type Endpoint = Selectable<EndpointsTable>;
export type Delivery = Selectable<DeliveriesTable>;

/** A partner's short-lived link that opens a console session for one of its tenants. */
export interface PortalLinksTable {
  id: string;
  partner_id: string;
  tenant_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

/** A console sign-in: made from an API key or a portal link, identified by a hashed cookie. */
export interface ConsoleSessionsTable {
  id: string;
  token_hash: string;
  csrf_token: string;
  partner_id: string;
  tenant_id: string | null;
  api_key_id: string | null;
  portal_link_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}
