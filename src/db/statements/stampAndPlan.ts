import { executePrepared } from '../preparedStatements';
import { sql, type Kysely } from 'kysely';
import type { DeliveryStatus } from '../../domain/statuses';
import type { Database } from '../schema';
import type { DeliveryAttemptRow } from './loadDeliveryAttempt';
import type { RouteKind } from '../../domain/statuses';
import { endpointFilterPasses } from '../../filters/filterDocument';

/** A route learned from a resolved event, so the next event of the same call resolves directly. */
export interface LearnedRoute {
  id: string;
  partner_id: string;
  tenant_id: string;
  kind: RouteKind;
  value: string;
}

export interface StampAndPlan {
  eventId: string;
  tenantId: string;
  eventType: string;
  /** The `tenant_resolved` checkpoint's detail. */
  stampDetail: Record<string, unknown>;
  learned: LearnedRoute[];
  /** New delivery rows point at the event workflow until a delivery is handed over to its own. */
  workflowId: string;
  /**
   * Ids for the delivery rows this statement may create, one per subscribed endpoint in endpoint
   * order. Fewer ids than endpoints plans only the first ones: `subscribed` says how many there
   * are, and a second call with enough ids plans the rest (rows already planned are kept).
   */
  deliveryIds: string[];
}

/** A planned delivery with everything its first attempt needs (the event, the endpoint, its live secrets, sealed). */
export interface PlannedAttemptRow extends DeliveryAttemptRow {
  max_attempts: number | null;
  sealed_secrets: string[];
}

/**
 * The whole step from "tenant decided" to "ready to send", in ONE statement (atomic, one round
 * trip instead of four): stamp the event's tenant (first time only, never over another tenant),
 * mark its workflow started, learn the call's routes, create a delivery row per subscribed endpoint
 * (UNIQUE(endpoint_id, event_id) makes a repeat a no-op), record the `tenant_resolved` (first time)
 * and `delivering` checkpoints in that order, and return every delivery of the event with what an
 * attempt needs. Nothing is planned if the event is stamped to another tenant: the caller checked
 * that, and the guard keeps a race from planning for two.
 */
// eslint-disable-next-line max-lines-per-function -- one statement, read as one unit: its CTEs are the stages
export async function stampAndPlanStatement(db: Kysely<Database>, p: StampAndPlan): Promise<{ rows: PlannedAttemptRow[]; subscribed: number }> {
  const rows = await executePrepared(db, 'stamp_and_plan', sql<PlannedAttemptRow & { subscribed: string }>`
    with before as (
      select tenant_id from events where id = ${p.eventId}
    ),
    stamped as (
      update events set tenant_id = ${p.tenantId}, status = 'delivering', updated_at = now(),
        workflow_started_at = coalesce(workflow_started_at, now())
      where id = ${p.eventId} and (tenant_id is null or tenant_id = ${p.tenantId})
      returning id
    ),
    learned as (
      insert into tenant_routes (id, partner_id, tenant_id, kind, value)
      select r.id, r.partner_id, r.tenant_id, r.kind, r.value
      from jsonb_to_recordset(${JSON.stringify(p.learned)}::jsonb) as r(id text, partner_id text, tenant_id text, kind text, value text)
      where exists (select 1 from stamped)
      on conflict do nothing
      returning 1
    ),
    subscribed as (
      select ep.id as endpoint_id, ep.partner_id, row_number() over (order by ep.id) as n
      from endpoints ep
      where ep.tenant_id = ${p.tenantId} and ep.purpose = 'events' and ep.enabled and ep.deleted_at is null
        and (ep.event_types is null or ${p.eventType} = any(ep.event_types))
        and ${endpointFilterPasses('ep', p.eventId, p.tenantId)}
        and exists (select 1 from stamped)
    ),
    ins as (
      insert into deliveries (id, event_id, endpoint_id, tenant_id, partner_id, workflow_id)
      select (${p.deliveryIds}::text[])[s.n], ${p.eventId}, s.endpoint_id, ${p.tenantId}, s.partner_id, ${p.workflowId}
      from subscribed s where s.n <= cardinality(${p.deliveryIds}::text[])
      on conflict (endpoint_id, event_id) do nothing
      returning id, endpoint_id, status, attempt_count, tenant_id
    ),
    -- A data-modifying CTE's rows are invisible to the rest of the statement: new rows come from
    -- RETURNING, rows of an earlier run from the table.
    all_rows as (
      select id, endpoint_id, status, attempt_count, tenant_id from ins
      union all
      select id, endpoint_id, status, attempt_count, tenant_id from deliveries
      where event_id = ${p.eventId} and exists (select 1 from stamped)
    ),
    checkpoints as (
      insert into event_checkpoints (event_id, stage, detail)
      select ${p.eventId}, c.stage, c.detail from (
        select 1 as ord, 'tenant_resolved' as stage, ${JSON.stringify(p.stampDetail)}::jsonb as detail
        from before where before.tenant_id is null and exists (select 1 from stamped)
        union all
        select 2, 'delivering', jsonb_build_object('endpoints', coalesce(jsonb_agg(endpoint_id order by endpoint_id), '[]'::jsonb))
        from all_rows having exists (select 1 from stamped)
      ) c order by c.ord
      returning 1
    )
    select r.id, r.status::text as status, r.attempt_count, r.endpoint_id, r.tenant_id,
      ep.url, ep.enabled, ep.deleted_at, ep.circuit_state, ep.rate_limit_per_second, ep.max_attempts,
      -- rows here go to their first attempt, whose retry budget starts at attempt 0
      ep.delivery_auth_sealed, ep.retry_schedule_seconds, 0 as retry_attempt_base,
      ev.id as event_id, ev.event_type, ev.call_id, ev.occurred_at, ev.received_at, ev.source, ev.payload,
      (select coalesce(jsonb_agg(s.secret_ciphertext order by s.created_at desc), '[]'::jsonb) from signing_secrets s
       where s.owner_kind = 'endpoint' and s.owner_id = ep.id and (s.expires_at is null or s.expires_at > now())) as sealed_secrets,
      (select count(*) from subscribed) as subscribed
    from all_rows r
    join endpoints ep on ep.id = r.endpoint_id
    join events ev on ev.id = ${p.eventId}
    order by r.endpoint_id`);
  return { rows: rows.map(({ subscribed: _, ...r }) => ({ ...r, status: r.status as DeliveryStatus })), subscribed: Number(rows[0]?.subscribed ?? 0) };
}
