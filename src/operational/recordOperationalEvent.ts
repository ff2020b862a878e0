import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { OperationalEventType } from './catalogue';

export interface OperationalEventInput {
  type: OperationalEventType;
  partnerId: string;
  /** Set when the event concerns one tenant's endpoint or delivery: that tenant sees it too. */
  tenantId: string | null;
  detail: Record<string, unknown>;
}

/** One `operational_events` row; pass the transaction of the change it reports. */
export async function recordOperationalEvent(db: Kysely<Database>, e: OperationalEventInput): Promise<void> {
  await db.insertInto('operational_events').values({ partner_id: e.partnerId, tenant_id: e.tenantId, type: e.type, detail: JSON.stringify(e.detail) }).execute();
}
