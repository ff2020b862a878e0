import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { buildEnvelope } from '../domain/deliveryEnvelope';

/**
 * The exact JSON body every delivery of an event sends: built from the stored event by the same
 * function the delivery attempt uses, so it is byte-identical to what each attempt and redrive
 * sent (the payload inspector). Null while the event has no tenant (nothing was delivered).
 */
export async function deliveredBody(db: Kysely<Database>, eventId: string): Promise<string | null> {
  const e = await db
    .selectFrom('events')
    .select(['id', 'event_type', 'tenant_id', 'call_id', 'occurred_at', 'received_at', 'source', 'payload'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!e || !e.tenant_id) return null;
  return JSON.stringify(buildEnvelope({ ...e, tenant_id: e.tenant_id, payload: e.payload as { data?: Record<string, unknown> } }));
}
