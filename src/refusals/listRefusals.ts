import type { Kysely, Selectable } from 'kysely';
import type { Database, IngestRefusalsTable } from '../db/schema';
import { iso } from '../tenancy/wireCommon';
import type { IngestRefusalSchema, ListIngestRefusalsQuery } from './refusalSchemas';
import type { z } from 'zod';

/** A partner's stored ingest refusals, newest first; `after` is the last id of the previous page. */
export async function listIngestRefusals(db: Kysely<Database>, partnerId: string, f: ListIngestRefusalsQuery) {
  let q = db.selectFrom('ingest_refusals').selectAll().where('partner_id', '=', partnerId).orderBy('id', 'desc').limit(f.limit + 1);
  if (f.after) q = q.where('id', '<', f.after);
  if (f.status !== undefined) q = q.where('status', '=', Number(f.status));
  if (f.reason) q = q.where('reason', '=', f.reason);
  if (f.since) q = q.where('received_at', '>=', new Date(f.since));
  if (f.until) q = q.where('received_at', '<', new Date(f.until));
  return q.execute();
}

export function refusalToWire(r: Selectable<IngestRefusalsTable>): z.infer<typeof IngestRefusalSchema> {
  return {
    id: r.id,
    partner_id: r.partner_id,
    received_at: iso(r.received_at)!,
    status: r.status,
    code: r.code,
    reason: r.reason,
    message: r.message,
    source_ip: r.source_ip,
    webhook_id: r.webhook_id,
    event_type: r.event_type,
    call_id: r.call_id,
    dropped_before: r.dropped_before,
  };
}
