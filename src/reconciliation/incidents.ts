import { inTransaction } from '../db/inTransaction';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { page } from '../tenancy/wireCommon';

/** Incident review: the one copy behind `/v1/incidents` and `switchboard incidents`. */

export interface IncidentFilter {
  /** Scope (already resolved from the caller) or an explicit filter; undefined = all partners. */
  partnerId?: string;
  status?: 'open' | 'resolved';
  limit: number;
  /** Cursor: the last id of the previous page (ids grow with time, so newest first is id order). */
  after?: string;
}

/** One page of incidents, newest first, and the cursor of the next (null on the last). */
export async function listIncidents(db: Kysely<Database>, filter: IncidentFilter) {
  // One row more than the page says whether a next page exists.
  let q = db.selectFrom('incidents').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.partnerId) q = q.where('partner_id', '=', filter.partnerId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.after) q = q.where('id', '<', filter.after);
  return page(await q.execute(), filter.limit);
}

/**
 * Resolves an open incident and records an `incident.resolved` operational event. `scopePartnerId`
 * set (a partner caller) makes another partner's incident read as absent.
 */
export async function resolveIncident(
  deps: { db: Kysely<Database>; logger: Logger },
  input: { id: string; note?: string; by: string; scopePartnerId?: string },
) {
  const { db, logger } = deps;
  const existing = await db.selectFrom('incidents').select(['id', 'partner_id', 'status']).where('id', '=', input.id).executeTakeFirst();
  if (!existing || (input.scopePartnerId && existing.partner_id !== input.scopePartnerId)) throw new NotFoundError('incident');
  const row = await inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('incidents')
      .set({ status: 'resolved', resolved_at: sql`now()`, resolution_note: input.note ?? null })
      .where('id', '=', input.id)
      .where('status', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    if (!updated) return undefined;
    await trx
      .insertInto('operational_events')
      .values({
        partner_id: updated.partner_id,
        tenant_id: null,
        type: 'incident.resolved',
        detail: JSON.stringify({ incident_id: input.id, note: input.note ?? null, by: input.by }),
      })
      .execute();
    return updated;
  });
  if (!row) throw new ConflictError('incident is already resolved');
  logger.info({ incident_id: input.id, partner_id: row.partner_id, by: input.by }, 'incident resolved');
  return row;
}
