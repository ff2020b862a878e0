import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { persistEventsStatement, type PersistEventsRow } from '../db/statements/persistEvents';
import { ValidationError } from '../errors';
import { newId } from '../ids';

export interface PersistInput {
  partnerId: string;
  callId: string;
  eventType: string;
  terminal: boolean;
  tenantId: string | null;
  voiceSessionId: string | null;
  occurredAt: string;
  payload: unknown;
  /**
   * The payload as the exact JSON text received, when there is one (ingest). Stored instead of
   * re-serialising `payload`, which keeps the partner's bytes and never recurses in JS.
   */
  payloadJson?: string;
  workflowId: string;
  source: 'partner' | 'reconciliation';
  /** W3C traceparent of the ingest span (tracing on): kept with the `received` checkpoint for the relay. */
  traceparent?: string;
  /**
   * The caller starts the workflow itself right after (reconciliation): the row is born claimed
   * for START_CLAIM_SECONDS so a relay does not race it. Ingest leaves it to the relays.
   */
  claimStart?: boolean;
  receipt: { sourceIp: string | null; headers: Record<string, string>; body: string };
  /**
   * The inbound source the request came through (stored on its receipt, and on the event when this
   * request is the one that creates it); absent: the default route, reconciliation.
   */
  sourceId?: string | null;
}

export interface PersistResult {
  eventId: string;
  workflowId: string;
  duplicate: boolean;
  workflowStarted: boolean;
}

/**
 * The event row is the outbox entry too (`workflow_started_at` null): a relay starts its workflow.
 * One event, stored as a batch of one (see persistEvents).
 */
export async function persistEvent(db: Kysely<Database>, input: PersistInput): Promise<PersistResult> {
  return (await persistEvents(db, [input]))[0]!;
}

/**
 * Stores events in ONE statement (one round trip, atomic for the whole batch): each event is
 * inserted under its UNIQUE (partner, call_id, event) key or found; a receipt is appended for
 * every input either way; each new event gets its `received` checkpoint; per-call state only ever
 * moves forward in occurred_at, so late events cannot rewind it. Results come back in input order.
 *
 * Batching is what makes ingest cheap under load (see EventWriteBatcher): per event, one row in a
 * statement of ten costs Postgres about a third of a statement of its own. Two inputs of a batch
 * may be the same event (a partner's retry racing its original): the first inserts it, the second
 * is its duplicate. A failing statement throws for the whole batch and wrote nothing; only when a
 * second statement was needed (see below) may the first one's events already be committed.
 */
export async function persistEvents(db: Kysely<Database>, inputs: readonly PersistInput[]): Promise<PersistResult[]> {
  const results: Array<PersistResult | undefined> = new Array(inputs.length);
  let pending = inputs.map((input, index) => ({ input, index, eventId: newId('evt') }));
  // An input finds no row when its event was inserted after this statement's snapshot was taken:
  // by a concurrent statement (two first POSTs of one event racing) or by an earlier input of
  // the same batch. Nothing was written for it; a second statement takes a fresh snapshot and
  // finds the event, so the input is recorded as its duplicate.
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    const rows = await persistStatement(db, pending).catch(refuseUnstorableInput);
    const byOrdinal = new Map(rows.map((r) => [Number(r.ord), r]));
    const unresolved: typeof pending = [];
    pending.forEach((p, i) => {
      const row = byOrdinal.get(i + 1);
      if (!row) return void unresolved.push(p);
      results[p.index] = { eventId: row.id, workflowId: row.workflow_id, duplicate: !row.inserted, workflowStarted: row.workflow_started };
    });
    pending = unresolved;
  }
  if (pending.length > 0) throw new Error(`could not insert or find event ${pending[0]!.input.workflowId}`);
  return results as PersistResult[];
}

/**
 * The payload's JSON text, or null when it is the receipt body itself (ingest: the exact bytes
 * received), which the statement then reads from the body column: sent and escaped once, not twice.
 */
function payloadUnlessBody(input: PersistInput): string | null {
  const json = input.payloadJson ?? JSON.stringify(input.payload);
  return json === input.receipt.body ? null : json;
}

async function persistStatement(db: Kysely<Database>, batch: ReadonlyArray<{ input: PersistInput; eventId: string }>): Promise<PersistEventsRow[]> {
  const column = <T>(pick: (i: PersistInput, eventId: string) => T): T[] => batch.map((b) => pick(b.input, b.eventId));
  return persistEventsStatement(db, {
    id: column((_, id) => id),
    partnerId: column((i) => i.partnerId),
    callId: column((i) => i.callId),
    eventType: column((i) => i.eventType),
    terminal: column((i) => i.terminal),
    voiceSessionId: column((i) => i.voiceSessionId),
    occurredAt: column((i) => i.occurredAt),
    payload: column(payloadUnlessBody),
    source: column((i) => i.source),
    traceparent: column((i) => i.traceparent ?? null),
    workflowId: column((i) => i.workflowId),
    claimStart: column((i) => Boolean(i.claimStart)),
    sourceIp: column((i) => i.receipt.sourceIp),
    headers: column((i) => JSON.stringify(i.receipt.headers)),
    body: column((i) => i.receipt.body),
    sourceId: column((i) => i.sourceId ?? null),
  });
}

/**
 * Postgres data exceptions (class 22: e.g. `\u0000` or a lone surrogate in jsonb, an impossible
 * date) and program limits (class 54) mean this input can never be stored: a 422 naming the
 * problem, not a 5xx the partner would retry forever. Anything else is rethrown as is.
 */
function refuseUnstorableInput(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code)) {
    throw new ValidationError(`event cannot be stored: ${(err as Error).message}`, [
      { field: '(body)', message: (err as Error).message },
    ]);
  }
  throw err;
}
