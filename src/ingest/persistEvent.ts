import { sql, type Kysely } from 'kysely';
import { preparedAs } from '../db/preparedStatements';
import type { Database } from '../db/schema';
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

/** How long a claim on an outbox row (by a relay, or a caller starting it itself) lasts. */
export const START_CLAIM_SECONDS = 15;

/**
 * The event row is the outbox entry too (`workflow_started_at` null): a relay starts its workflow.
 * Receipt + event + `received` checkpoint + per-call state in ONE statement (so one round trip, and atomic): the event is
 * inserted under its UNIQUE (partner, call_id, event) key or found; a receipt is appended either
 * way; call state only ever moves forward in occurred_at, so late events cannot rewind it.
 */
export async function persistEvent(db: Kysely<Database>, input: PersistInput): Promise<PersistResult> {
  const eventId = newId('evt');
  const payload = input.payloadJson ?? JSON.stringify(input.payload);
  const headers = JSON.stringify(input.receipt.headers);
  // Prepared once per connection: planning this statement costs more than running it. Its text
  // is constant apart from the claim, hence one name per variant.
  const query = sql<{ id: string; workflow_id: string; inserted: boolean; workflow_started: boolean }>`${preparedAs(input.claimStart ? 'persist_event_claimed' : 'persist_event')}
    with ins as (
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, voice_session_id,
                          occurred_at, payload, source, workflow_id, start_claimed_until)
      values (${eventId}, ${input.partnerId}, ${input.callId}, ${input.eventType}, ${input.terminal},
              null, ${input.voiceSessionId}, ${input.occurredAt}, ${payload}::jsonb, ${input.source}, ${input.workflowId},
              ${input.claimStart ? sql`now() + make_interval(secs => ${START_CLAIM_SECONDS})` : null})
      on conflict on constraint events_dedupe_key do nothing
      returning id, workflow_id, true as inserted, false as workflow_started, occurred_at
    ),
    existing as (
      select id, workflow_id, false as inserted, workflow_started_at is not null as workflow_started, occurred_at
      from events
      where partner_id = ${input.partnerId} and call_id = ${input.callId} and event_type = ${input.eventType}
        and not exists (select 1 from ins)
    ),
    ev as (select * from ins union all select * from existing),
    receipt as (
      insert into receipts (partner_id, event_id, duplicate, source_ip, headers, body)
      select ${input.partnerId}, ev.id, not ev.inserted, ${input.receipt.sourceIp}, ${headers}::jsonb, ${input.receipt.body}
      from ev
      returning id
    ),
    received as (
      -- The first checkpoint, stamped in the same statement as the event itself.
      insert into event_checkpoints (event_id, stage, detail, at)
      select ins.id, 'received', ${JSON.stringify({ source: input.source })}::jsonb, now()
      from ins
      returning 1
    ),
    call_state as (
      insert into call_states as cs (partner_id, call_id, last_event_type, last_event_id, last_occurred_at, terminal)
      select ${input.partnerId}, ${input.callId}, ${input.eventType}, ins.id, ins.occurred_at, ${input.terminal}
      from ins
      on conflict (partner_id, call_id) do update set
        last_event_type = case when excluded.last_occurred_at > cs.last_occurred_at then excluded.last_event_type else cs.last_event_type end,
        last_event_id = case when excluded.last_occurred_at > cs.last_occurred_at then excluded.last_event_id else cs.last_event_id end,
        last_occurred_at = greatest(cs.last_occurred_at, excluded.last_occurred_at),
        terminal = cs.terminal or excluded.terminal,
        updated_at = now()
      returning 1
    )
    select ev.id, ev.workflow_id, ev.inserted, ev.workflow_started,
           (select count(*) from receipt) as receipts, (select count(*) from call_state) as states,
           (select count(*) from received) as checkpoints
    from ev`;

  // Two concurrent first POSTs of the same event: the loser's statement snapshot may not see the
  // winner's row yet (ev is empty). A second statement takes a fresh snapshot and finds it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await query.execute(db).catch(refuseUnstorableInput);
    const row = rows[0];
    if (row) {
      return { eventId: row.id, workflowId: row.workflow_id, duplicate: !row.inserted, workflowStarted: row.workflow_started };
    }
  }
  throw new Error(`could not insert or find event ${input.workflowId}`);
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
