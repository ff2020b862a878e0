import { Kysely, sql } from 'kysely';

/**
 * The whole data model in one first migration. Later changes are new files, never edits here:
 * deployed databases have already run this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('partners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ops_webhook_url', 'text')
    .addColumn('reconciliation_threshold', 'double precision')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Signing secrets (partner inbound and endpoint outbound) are encrypted at rest; several may be
  // active at once during a rotation grace period (expires_at in the future).
  await db.schema
    .createTable('signing_secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull().check(sql`owner_kind in ('partner', 'endpoint')`))
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('signing_secrets_owner').on('signing_secrets').columns(['owner_kind', 'owner_id']).execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('tenants_partner').on('tenants').column('partner_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('partner', 'tenant')`))
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  // The routing map: a (kind, value) identifies at most one tenant per partner.
  await db.schema
    .createTable('tenant_routes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('crm_account_id', 'partner_tenant_ref', 'call_id', 'voice_session_id')`),
    )
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('tenant_routes_key', ['partner_id', 'kind', 'value'])
    .execute();
  await db.schema.createIndex('tenant_routes_tenant').on('tenant_routes').column('tenant_id').execute();

  await db.schema
    .createTable('endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('event_types', sql`text[]`) // null = every event type
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('max_attempts', 'integer')
    .addColumn('rate_limit_per_second', 'integer')
    .addColumn('circuit_state', 'text', (c) =>
      c.notNull().defaultTo('closed').check(sql`circuit_state in ('closed', 'open', 'half_open')`),
    )
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('circuit_opened_at', 'timestamptz')
    .addColumn('failing_since', 'timestamptz')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('endpoints_tenant').on('endpoints').column('tenant_id').execute();

  // Fixed one-second windows shared by every worker: how many sends each rate-limited endpoint got.
  await db.schema
    .createTable('endpoint_rate_windows')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_rate_windows_pk', ['endpoint_id', 'window_start'])
    .execute();

  // One row per (partner, call_id, event): the storage-level dedupe of the call_id:event key.
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('terminal', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('voice_session_id', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('partner').check(sql`source in ('partner', 'reconciliation')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('workflow_started_at', 'timestamptz') // null = still in the outbox
    .addColumn('start_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('events_dedupe_key', ['partner_id', 'call_id', 'event_type'])
    .execute();
  await sql`create index events_outbox on events (terminal desc, received_at) where workflow_started_at is null`.execute(db);
  await db.schema.createIndex('events_tenant_received').on('events').columns(['tenant_id', 'received_at']).execute();
  await db.schema.createIndex('events_partner_received').on('events').columns(['partner_id', 'received_at']).execute();

  // Append-only log of every accepted POST, duplicates included: the audit trail partners ask for.
  await db.schema
    .createTable('receipts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('duplicate', 'boolean', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('source_ip', 'text')
    .addColumn('headers', 'jsonb', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('receipts_event').on('receipts').column('event_id').execute();
  await db.schema.createIndex('receipts_received').on('receipts').column('received_at').execute();

  // Latest known state per call; only ever moved forward by occurred_at (out-of-order safe).
  await db.schema
    .createTable('call_states')
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('last_event_type', 'text', (c) => c.notNull())
    .addColumn('last_event_id', 'text', (c) => c.notNull())
    .addColumn('last_occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('terminal', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('call_states_pk', ['partner_id', 'call_id'])
    .execute();

  await db.schema
    .createTable('event_checkpoints')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('event_checkpoints_event').on('event_checkpoints').column('event_id').execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_response_body', 'text')
    .addColumn('dead_letter_reason', 'text')
    .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('workflow_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addUniqueConstraint('deliveries_endpoint_event', ['endpoint_id', 'event_id'])
    .execute();
  await db.schema.createIndex('deliveries_event').on('deliveries').column('event_id').execute();
  await db.schema.createIndex('deliveries_tenant_status').on('deliveries').columns(['tenant_id', 'status']).execute();
  await db.schema.createIndex('deliveries_status_updated').on('deliveries').columns(['status', 'updated_at']).execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id'))
    .addColumn('attempt_number', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('delivery_attempts_delivery').on('delivery_attempts').column('delivery_id').execute();
  await db.schema.createIndex('delivery_attempts_started').on('delivery_attempts').column('started_at').execute();

  await db.schema
    .createTable('quarantine')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().unique().references('events.id'))
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'released', 'discarded')`))
    .addColumn('released_tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('quarantine_partner_status').on('quarantine').columns(['partner_id', 'status']).execute();

  // The partner's call log, pushed in bulk or loaded directly; reconciliation compares against it.
  await db.schema
    .createTable('voice_sessions')
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('voice_session_id', 'text')
    .addColumn('tenant_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('terminal', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('voice_sessions_pk', ['partner_id', 'call_id'])
    .execute();
  await sql`create index voice_sessions_terminal_ended on voice_sessions (ended_at, partner_id, call_id) where terminal`.execute(db);

  await db.schema
    .createTable('reconciliation_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.references('partners.id'))
    .addColumn('window_from', 'timestamptz', (c) => c.notNull())
    .addColumn('window_to', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('terminal_calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('missing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('replayed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('workflow_id', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('reconciliation_run_id', 'text', (c) => c.references('reconciliation_runs.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'resolved')`))
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolution_note', 'text')
    .execute();

  // Operational events (endpoint.disabled, incident.raised, ...) for operators and ops webhooks.
  await db.schema
    .createTable('operational_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.references('partners.id'))
    .addColumn('tenant_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'operational_events',
    'incidents',
    'reconciliation_runs',
    'voice_sessions',
    'quarantine',
    'delivery_attempts',
    'deliveries',
    'event_checkpoints',
    'call_states',
    'receipts',
    'events',
    'endpoint_rate_windows',
    'endpoints',
    'tenant_routes',
    'api_keys',
    'tenants',
    'signing_secrets',
    'partners',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
