import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, OperationalEventsTable } from '../db/schema';

export interface OperationsTarget {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  url: string;
  max_attempts: number | null;
}

/**
 * The operations endpoints an operational event goes to: the partner's own (no tenant) get every
 * event of the partner; a tenant's get the events about that tenant only. An event about an
 * operations endpoint goes nowhere: its failures must never feed themselves (the no-loop rule);
 * it stays listable on GET /v1/operational-events.
 */
export async function operationsTargets(db: Kysely<Database>, e: Selectable<OperationalEventsTable>): Promise<OperationsTarget[]> {
  if (!e.partner_id) return [];
  const about = typeof e.detail['endpoint_id'] === 'string' ? e.detail['endpoint_id'] : null;
  if (about) {
    const subject = await db.selectFrom('endpoints').select('purpose').where('id', '=', about).executeTakeFirst();
    if (subject?.purpose === 'operations') return [];
  }
  return db
    .selectFrom('endpoints')
    .select(['id', 'partner_id', 'tenant_id', 'url', 'max_attempts'])
    .where('partner_id', '=', e.partner_id)
    .where('purpose', '=', 'operations')
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .where((w) => (e.tenant_id ? w.or([w('tenant_id', 'is', null), w('tenant_id', '=', e.tenant_id)]) : w('tenant_id', 'is', null)))
    .where((w) => w.or([w('event_types', 'is', null), w(sql<boolean>`${e.type} = any(event_types)`, '=', true)]))
    .execute();
}
