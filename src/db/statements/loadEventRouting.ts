import { executePrepared } from '../preparedStatements';
import { sql, type Kysely } from 'kysely';
import { RESOLUTION_KEY_PATHS, type KeyLookup } from '../../domain/tenantResolution';
import type { Database } from '../schema';

/** An event as tenant resolution sees it: who posted it, whom it is stamped to, and every key's lookup. */
export interface EventRouting {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  lookups: KeyLookup[];
}

interface LookupRow {
  kind: KeyLookup['key']['kind'];
  value: string;
  tenant_id: string | null;
  is_foreign: boolean;
}

/**
 * The event and the routing map's answer for every resolution key its payload carries, in ONE
 * statement: the keys are extracted in SQL from the same path table resolutionKeys reads, so
 * resolving an event costs one round trip whatever it carries and no per-worker cache can be
 * stale. A `tenant_id` key finds the posting partner's live tenant, or is flagged foreign when it
 * names another partner's; any other key finds its route to a live tenant.
 */
export async function loadEventRouting(db: Kysely<Database>, eventId: string): Promise<EventRouting | undefined> {
  const paths = JSON.stringify(RESOLUTION_KEY_PATHS.map((k, ord) => ({ ord, kind: k.kind, path: k.path })));
  const rows = await executePrepared(db, 'load_event_routing', sql<{ id: string; partner_id: string; tenant_id: string | null; lookups: LookupRow[] }>`
    with e as (
      select id, partner_id, tenant_id, payload from events where id = ${eventId}
    ),
    keys as (
      select kp.ord, kp.kind, e.payload #>> kp.path as value
      from e, jsonb_to_recordset(${paths}::jsonb) as kp(ord int, kind text, path text[])
      where jsonb_typeof(e.payload #> kp.path) = 'string' and e.payload #>> kp.path <> ''
    ),
    lookups as (
      select k.ord, k.kind, k.value,
        case when k.kind = 'tenant_id'
          then (select t.id from tenants t where t.id = k.value and t.deleted_at is null and t.partner_id = e.partner_id)
          else (select r.tenant_id from tenant_routes r join tenants t on t.id = r.tenant_id
                where r.partner_id = e.partner_id and r.kind = k.kind and r.value = k.value and t.deleted_at is null limit 1)
        end as tenant_id,
        k.kind = 'tenant_id' and exists (
          select 1 from tenants t where t.id = k.value and t.deleted_at is null and t.partner_id <> e.partner_id
        ) as is_foreign
      from keys k, e
    )
    select e.id, e.partner_id, e.tenant_id,
      coalesce((select jsonb_agg(jsonb_build_object('kind', kind, 'value', value, 'tenant_id', tenant_id, 'is_foreign', is_foreign) order by ord) from lookups), '[]'::jsonb) as lookups
    from e`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    partner_id: row.partner_id,
    tenant_id: row.tenant_id,
    lookups: row.lookups.map((l) => ({ key: { kind: l.kind, value: l.value }, tenantId: l.tenant_id, ...(l.is_foreign ? { foreign: true } : {}) })),
  };
}
