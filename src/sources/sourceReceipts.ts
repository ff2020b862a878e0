import { inTransaction } from '../db/inTransaction';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import { signalSourceRejected } from './sourceRejectedSignal';

/** A request that verified but was not taken as an event: kept as received, with why. */
export interface SourceReceiptInput {
  sourceId: string;
  partnerId: string;
  outcome: 'rejected' | 'ignored';
  reason: string;
  details: Record<string, unknown> | null;
  sourceIp: string | null;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Text PostgreSQL can store: no NUL, no lone surrogate (jsonb refuses both). A value is made
 * storable, never refused: the receipt is the audit of a refusal, so it must not fail itself.
 */
function storable(text: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres text cannot hold
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/g, '\uFFFD');
}

function storableJson(value: Record<string, unknown> | null): string | null {
  return value === null ? null : storable(JSON.stringify(value));
}

/** The body as UTF-8 text when it is that (and has no NUL); otherwise base64, said in `details`. */
function storableBody(body: Buffer): { text: string; base64: boolean } {
  const text = body.toString('utf8');
  // eslint-disable-next-line no-control-regex -- NUL cannot be stored in a text column
  const exact = Buffer.from(text, 'utf8').equals(body) && !/\u0000/.test(text);
  return exact ? { text, base64: false } : { text: body.toString('base64'), base64: true };
}

export async function storeSourceReceipt(db: Kysely<Database>, input: SourceReceiptInput): Promise<string> {
  const id = newId('srr');
  const body = storableBody(input.body);
  const details = body.base64 ? { ...(input.details ?? {}), body_encoding: 'base64' } : input.details;
  const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [storable(k), storable(v)]));
  await inTransaction(db, async (trx) => {
    await insertReceipt(trx, id, input, body, details, headers);
    if (input.outcome === 'rejected') await signalSourceRejected(trx, { partnerId: input.partnerId, sourceId: input.sourceId, receiptId: id, reason: storable(input.reason) });
  });
  return id;
}

async function insertReceipt(db: Kysely<Database>, id: string, input: SourceReceiptInput, body: { text: string }, details: Record<string, unknown> | null, headers: Record<string, string>): Promise<void> {
  await db
    .insertInto('source_receipts')
    .values({
      id,
      source_id: input.sourceId,
      partner_id: input.partnerId,
      outcome: input.outcome,
      reason: storable(input.reason),
      details: storableJson(details),
      source_ip: input.sourceIp,
      headers: JSON.stringify(headers),
      body: body.text,
    })
    .execute();
}

export async function listSourceReceipts(db: Kysely<Database>, sourceId: string, limit: number, after?: string) {
  let q = db.selectFrom('source_receipts').selectAll().where('source_id', '=', sourceId);
  if (after) q = q.where('id', '>', after);
  return q.orderBy('id').limit(limit + 1).execute();
}
