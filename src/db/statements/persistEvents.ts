import { sql, type Kysely } from 'kysely';
import { OUTBOX_CHANNEL } from '../../outbox/signal';
import { START_CLAIM_SECONDS } from '../../outbox/startClaim';
import { executePrepared } from '../preparedStatements';
import type { Database } from '../schema';

/**
 * The ingest statement's parameters: one array per column, one element per event of the batch,
 * so the statement text is the same whatever the batch size (which is what lets it be prepared).
 */
export interface PersistEventsColumns {
  id: string[];
  partnerId: string[];
  callId: string[];
  eventType: string[];
  terminal: boolean[];
  voiceSessionId: Array<string | null>;
  occurredAt: string[];
  /** The payload's JSON text, or null when it is the receipt body itself (read from `body`). */
  payload: Array<string | null>;
  source: string[];
  /** The ingest span's W3C traceparent (tracing on), kept in the `received` checkpoint's detail. */
  traceparent: Array<string | null>;
  workflowId: string[];
  /** Born claimed for START_CLAIM_SECONDS: the caller starts the workflow itself. */
  claimStart: boolean[];
  sourceIp: Array<string | null>;
  /** The inbound source each came through; null: the default route (or not ingest). */
  sourceId: Array<string | null>;
  /** JSON text of the receipt's headers. */
  headers: string[];
  body: string[];
}

/** One row per input that was inserted or found; `ord` is the input's 1-based position. */
export interface PersistEventsRow {
  ord: string;
  id: string;
  workflow_id: string;
  inserted: boolean;
  workflow_started: boolean;
}

/**
 * Stores a batch of events in ONE statement (see persistEvents in src/ingest/persistEvent.ts for
 * what it guarantees). Prepared once per connection: planning it costs more than running it.
 */
// eslint-disable-next-line max-lines-per-function -- one SQL statement (the whole ingest write), kept in one piece so it can be read as the database runs it
export function persistEventsStatement(db: Kysely<Database>, c: PersistEventsColumns): Promise<PersistEventsRow[]> {
  return executePrepared(
    db,
    'persist_events',
    sql<PersistEventsRow>`
    with input as (
      select * from unnest(
        ${c.id}::text[], ${c.partnerId}::text[], ${c.callId}::text[],
        ${c.eventType}::text[], ${c.terminal}::boolean[], ${c.voiceSessionId}::text[],
        ${c.occurredAt}::timestamptz[], ${c.payload}::text[],
        ${c.source}::text[], ${c.traceparent}::text[], ${c.workflowId}::text[], ${c.claimStart}::boolean[],
        ${c.sourceIp}::text[], ${c.headers}::text[], ${c.body}::text[], ${c.sourceId}::text[]
      ) with ordinality as t(id, partner_id, call_id, event_type, terminal, voice_session_id, occurred_at, payload, source,
                             traceparent, workflow_id, claim_start, source_ip, headers, body, source_id, ord)
    ),
    ins as (
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, voice_session_id,
                          occurred_at, payload, source, workflow_id, start_claimed_until, source_id)
      -- The caller starts the workflow itself right after (reconciliation): the row is born
      -- claimed so a relay does not race it. Ingest leaves it to the relays.
      select id, partner_id, call_id, event_type, terminal, null, voice_session_id, occurred_at, coalesce(payload, body)::jsonb, source, workflow_id,
             case when claim_start then now() + make_interval(secs => ${START_CLAIM_SECONDS}) end, source_id
      from input order by ord
      on conflict on constraint events_dedupe_key do nothing
      returning id, partner_id, call_id, event_type, terminal, occurred_at, workflow_id, start_claimed_until
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
      insert into receipts (partner_id, event_id, duplicate, source_ip, headers, body, source_id)
      select input.partner_id, ev.id, not ev.inserted, input.source_ip, input.headers::jsonb, input.body, input.source_id
      from input join ev using (ord)
    ),
    received as (
      -- The first checkpoint, stamped in the same statement as the event itself.
      insert into event_checkpoints (event_id, stage, detail, at)
      -- The traceparent (tracing on) is how the relay continues the ingest request's trace.
      select ins.id, 'received', jsonb_strip_nulls(jsonb_build_object('source', input.source, 'traceparent', input.traceparent)), now()
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
    ),
    -- Wakes the outbox relays when the batch added an event for them (one notification per
    -- statement, however many events: relays only need to know there is something). Inside the
    -- statement, so it costs no round trip of its own; the notification lock it takes at commit
    -- is shared by at most INGEST_WRITE_CONCURRENCY statements at a time.
    notified as (
      select pg_notify(${OUTBOX_CHANNEL}, '') from ins where start_claimed_until is null limit 1
    )
    select ord, id, workflow_id, inserted, workflow_started, (select count(*) from notified) as notified from ev`,
  );
}
