import { sql, type Kysely } from 'kysely';
import type { RouteKind } from '../../domain/statuses';
import type { Database } from '../schema';

/** A route learned from a resolved event, so the next event of the same call resolves directly. */
export interface LearnedRoute {
  id: string;
  partner_id: string;
  tenant_id: string;
  kind: RouteKind;
  value: string;
}

/**
 * Stamps the event's tenant, records the `tenant_resolved` checkpoint and inserts the learned
 * routes in ONE statement: atomic, one round trip. Only the first resolution stamps (and
 * checkpoints): a repeat of it writes nothing new.
 */
export async function stampTenantStatement(
  db: Kysely<Database>,
  stamp: { eventId: string; tenantId: string; detail: Record<string, unknown>; learned: LearnedRoute[] },
): Promise<void> {
  await sql`
    with stamped as (
      update events set tenant_id = ${stamp.tenantId}, status = 'tenant_resolved', updated_at = now()
      where id = ${stamp.eventId} and tenant_id is null
      returning id
    ),
    checkpoint as (
      insert into event_checkpoints (event_id, stage, detail)
      select id, 'tenant_resolved', ${JSON.stringify(stamp.detail)}::jsonb from stamped
      returning 1
    )
    insert into tenant_routes (id, partner_id, tenant_id, kind, value)
    select r.id, r.partner_id, r.tenant_id, r.kind, r.value
    from jsonb_to_recordset(${JSON.stringify(stamp.learned)}::jsonb) as r(id text, partner_id text, tenant_id text, kind text, value text)
    on conflict do nothing`.execute(db);
}
