import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';

/**
 * A misconfigured mapping rejects every request the partner's platform sends, possibly hundreds a
 * second; one `source.rejected` operational event per source per window tells the partner without
 * turning each rejection into a delivery. Every rejection stays listed with its receipt
 * (GET /v1/sources/{id}/receipts). Two rejections racing may both signal: at most a few per window.
 */
export const SOURCE_REJECTED_SIGNAL_WINDOW_MINUTES = 5;

export interface SourceRejection {
  partnerId: string;
  sourceId: string;
  receiptId: string;
  reason: string;
}

/** Records `source.rejected` unless this source already signalled within the window; pass the receipt's transaction. */
export async function signalSourceRejected(db: Kysely<Database>, r: SourceRejection): Promise<void> {
  const detail = JSON.stringify({ source_id: r.sourceId, receipt_id: r.receiptId, reason: r.reason, window_minutes: SOURCE_REJECTED_SIGNAL_WINDOW_MINUTES });
  await sql`
    insert into operational_events (partner_id, tenant_id, type, detail)
    select ${r.partnerId}, null, 'source.rejected', ${detail}::jsonb
    where not exists (
      select 1 from operational_events
      where partner_id = ${r.partnerId} and type = 'source.rejected' and detail->>'source_id' = ${r.sourceId}
        and at > now() - make_interval(mins => ${SOURCE_REJECTED_SIGNAL_WINDOW_MINUTES})
    )`.execute(db);
}
