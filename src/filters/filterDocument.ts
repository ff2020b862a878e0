import { sql, type RawBuilder } from 'kysely';

/**
 * What a payload filter sees of an event: the envelope's fields the tenant receives plus the
 * event's `runtime_vars` (routing hints such as crm_account_id that tenants filter on). Built in
 * SQL from an `events` row aliased `alias`, so planning filters without reading the event into
 * the worker. The test route builds the same document from a stored event with this fragment.
 */
export function filterDocumentSql(alias: string, tenantId: RawBuilder<unknown> | string): RawBuilder<unknown> {
  const ev = sql.ref(alias);
  const tenant = typeof tenantId === 'string' ? sql`${tenantId}::text` : tenantId;
  return sql`jsonb_build_object(
    'id', ${ev}.id, 'type', ${ev}.event_type, 'call_id', ${ev}.call_id, 'tenant_id', ${tenant},
    'occurred_at', ${ev}.occurred_at, 'received_at', ${ev}.received_at,
    'data', coalesce(${ev}.payload -> 'data', '{}'::jsonb),
    'runtime_vars', coalesce(${ev}.payload -> 'runtime_vars', '{}'::jsonb))`;
}

/** True when the compiled filter matches; an error inside the path (silent mode) counts as no match. */
export function filterMatchesSql(document: RawBuilder<unknown>, path: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`coalesce(jsonb_path_match(${document}, ${path}, '{}'::jsonb, true), false)`;
}

/**
 * The planning clause: an endpoint (`ep`, with `payload_filter_path`) passes if it has no filter
 * or its filter matches the event. CASE, not OR: CASE evaluates its branches in order, and the
 * document is a scalar subquery inside the `else`, so an endpoint without a filter never builds
 * it (checked by test/integration/deliveryOptions.test.ts). Shared by stampAndPlan and planDeliveries.
 */
export function endpointFilterPasses(endpointAlias: string, eventId: string, tenantId: string): RawBuilder<boolean> {
  const path = sql`${sql.ref(endpointAlias)}.payload_filter_path`;
  const document = sql`(select ${filterDocumentSql('fe', sql`${tenantId}::text`)} from events fe where fe.id = ${eventId})`;
  return sql<boolean>`(case when ${path} is null then true else ${filterMatchesSql(document, path)} end)`;
}
