import { sql, type Kysely } from 'kysely';
import { preparedAs } from '../db/preparedStatements';
import type { Database } from '../db/schema';
import { ValidationError } from '../errors';
import { newId } from '../ids';
import { START_CLAIM_SECONDS } from '../outbox/startClaim';

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
  /**
   * The caller starts the workflow itself right after (reconciliation): the row is born claimed
   * for START_CLAIM_SECONDS so a relay does not race it. Ingest leaves it to the relays.
   */
  claimStart?: boolean;
  receipt: { sourceIp: string | null; headers: Record<string, string>; body: string };
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

interface StatementRow {
  ord: string;
  id: string;
  workflow_id: string;
  inserted: boolean;
  workflow_started: boolean;
}

async function persistStatement(db: Kysely<Database>, batch: ReadonlyArray<{ input: PersistInput; eventId: string }>): Promise<StatementRow[]> {
  const column = <T>(pick: (i: PersistInput, eventId: string) => T): T[] => batch.map((b) => pick(b.input, b.eventId));
  // Prepared once per connection: planning this statement costs more than running it. Its text
  // is constant (inputs travel as arrays, one per column), whatever the batch size.
  const { rows } = await sql<StatementRow>`${preparedAs('persist_events')}
    with input as (
      select * from unnest(
        ${column((_, id) => id)}::text[], ${column((i) => i.partnerId)}::text[], ${column((i) => i.callId)}::text[],
        ${column((i) => i.eventType)}::text[], ${column((i) => i.terminal)}::boolean[], ${column((i) => i.voiceSessionId)}::text[],
        ${column((i) => i.occurredAt)}::timestamptz[], ${column(payloadUnlessBody)}::text[],
        ${column((i) => i.source)}::text[], ${column((i) => i.workflowId)}::text[], ${column((i) => Boolean(i.claimStart))}::boolean[],
        ${column((i) => i.receipt.sourceIp)}::text[], ${column((i) => JSON.stringify(i.receipt.headers))}::text[], ${column((i) => i.receipt.body)}::text[]
      ) with ordinality as t(id, partner_id, call_id, event_type, terminal, voice_session_id, occurred_at, payload, source,
                             workflow_id, claim_start, source_ip, headers, body, ord)
    ),
    ins as (
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, voice_session_id,
                          occurred_at, payload, source, workflow_id, start_claimed_until)
      -- The caller starts the workflow itself right after (reconciliation): the row is born
      -- claimed so a relay does not race it. Ingest leaves it to the relays.
      select id, partner_id, call_id, event_type, terminal, null, voice_session_id, occurred_at, coalesce(payload, body)::jsonb, source, workflow_id,
             case when claim_start then now() + make_interval(secs => ${START_CLAIM_SECONDS}) end
      from input order by ord
      on conflict on constraint events_dedupe_key do nothing
      returning id, partner_id, call_id, event_type, terminal, occurred_at, workflow_id
    ),
    ev as (
      -- A data-modifying CTE's rows are invisible to the rest of the statement: new rows come
      -- from RETURNING, older ones from the table. An input whose event was inserted by an
      -- earlier input of this batch finds neither, and is taken again by the next statement.
      select input.ord, coalesce(own.id, old.id) as id, coalesce(own.workflow_id, old.workflow_id) as workflow_id,
             own.id is not null as inserted, coalesce(old.workflow_started_at is not null, false) as workflow_started
      from input
      left join ins own on own.id = input.id
      -- A lookup per input that inserted nothing, by the unique key. LATERAL with LIMIT (which
      -- the planner cannot flatten into a join) keeps it an index probe per input whatever the
      -- statistics said when the statement was prepared: as a join, a plan prepared while the
      -- table was still empty hash-joined a scan of every event, on every statement, for good.
      left join lateral (
        select e.id, e.workflow_id, e.workflow_started_at from events e
        where own.id is null
          and e.partner_id = input.partner_id and e.call_id = input.call_id and e.event_type = input.event_type
        limit 1
      ) old on true
      where coalesce(own.id, old.id) is not null
    ),
    receipt as (
      insert into receipts (partner_id, event_id, duplicate, source_ip, headers, body)
      select input.partner_id, ev.id, not ev.inserted, input.source_ip, input.headers::jsonb, input.body
      from input join ev using (ord)
    ),
    received as (
      -- The first checkpoint, stamped in the same statement as the event itself.
      insert into event_checkpoints (event_id, stage, detail, at)
      select ins.id, 'received', jsonb_build_object('source', input.source), now()
      from ins join input using (id)
    ),
    latest as (
      -- One row per call (an upsert may not touch a row twice): its latest new event, and whether
      -- any new one was terminal. Of equal occurred_at the first received wins, as one by one.
      select distinct on (ins.partner_id, ins.call_id) ins.partner_id, ins.call_id, ins.event_type, ins.id, ins.occurred_at,
             bool_or(ins.terminal) over (partition by ins.partner_id, ins.call_id) as terminal
      from ins join input using (id)
      order by ins.partner_id, ins.call_id, ins.occurred_at desc, input.ord
    ),
    call_state as (
      insert into call_states as cs (partner_id, call_id, last_event_type, last_event_id, last_occurred_at, terminal)
      select partner_id, call_id, event_type, id, occurred_at, terminal from latest
      on conflict (partner_id, call_id) do update set
        last_event_type = case when excluded.last_occurred_at > cs.last_occurred_at then excluded.last_event_type else cs.last_event_type end,
        last_event_id = case when excluded.last_occurred_at > cs.last_occurred_at then excluded.last_event_id else cs.last_event_id end,
        last_occurred_at = greatest(cs.last_occurred_at, excluded.last_occurred_at),
        terminal = cs.terminal or excluded.terminal,
        updated_at = now()
    )
    select ord, id, workflow_id, inserted, workflow_started from ev`.execute(db);
  return rows;
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
