import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { emptyPartnerTally, MAX_SAMPLES, type Tally } from '../src/domain/reconciliationTally';
import type { ReconciliationWindow } from '../src/domain/reconciliationWindow';
import { terminalCallState } from '../src/domain/terminalCallStatus';
import type { ActivityDeps } from './deps';
import { replayers, type CallRow, type ReplayOutcome } from './reconciliationReplay';

/** Keyset position in (ended_at, partner_id, call_id) order; ended_at kept as Postgres wrote it (µs). */
export interface PageCursor {
  endedAt: string;
  partnerId: string;
  callId: string;
}

export interface ReconcilePageInput {
  runId: string;
  window: ReconciliationWindow;
  partnerId: string | null;
  after: PageCursor | null;
  limit: number;
}

export interface ReconcilePageResult {
  /** Calls in this page; fewer than `limit` means the window is done. */
  count: number;
  next: PageCursor | null;
  tally: Tally;
}

/** Replays run a few at a time: enough to be quick, few enough not to flood Temporal or Postgres. */
const REPLAY_CONCURRENCY = 8;

// eslint-disable-next-line max-lines-per-function -- a factory: the page activities sharing one database handle (each method is linted on its own)
export function reconciliationPageActivities(deps: ActivityDeps) {
  const { db, logger } = deps;

  async function loadPage(input: ReconcilePageInput): Promise<Array<CallRow & { cursor_ended_at: string }>> {
    const after = input.after;
    const { rows } = await sql<CallRow & { cursor_ended_at: string }>`
      select vs.partner_id, vs.call_id, vs.voice_session_id, vs.tenant_id, vs.status as call_status,
             to_json(vs.started_at) #>> '{}' as started_at,
             to_json(vs.ended_at) #>> '{}' as ended_at,
             vs.ended_at::text as cursor_ended_at,
             e.id as event_id, e.event_type, e.status as event_status, e.workflow_id,
             e.workflow_started_at is not null as workflow_started
      from voice_sessions vs
      left join lateral (
        -- A call with both call.ended and call.failed is judged by its best-settled one.
        select ev.id, ev.event_type, ev.status, ev.workflow_id, ev.workflow_started_at
        from events ev
        where ev.partner_id = vs.partner_id and ev.call_id = vs.call_id and ev.terminal
        order by (ev.status in ('delivered', 'no_subscribers', 'quarantined', 'discarded')) desc, ev.received_at
        limit 1
      ) e on true
      where vs.terminal
        and vs.ended_at >= ${input.window.from}::timestamptz and vs.ended_at < ${input.window.to}::timestamptz
        ${input.partnerId ? sql`and vs.partner_id = ${input.partnerId}` : sql``}
        ${after ? sql`and (vs.ended_at, vs.partner_id, vs.call_id) > (${after.endedAt}::timestamptz, ${after.partnerId}, ${after.callId})` : sql``}
      order by vs.ended_at, vs.partner_id, vs.call_id
      limit ${input.limit}`.execute(db);
    return rows;
  }

  return {
    /**
     * One page of terminal calls: judge each against its terminal event, replay the missing, and
     * return the page's per-partner tally. The workflow sums tallies; nothing here increments a
     * shared counter, so a retried page cannot double-count.
     */
    // eslint-disable-next-line max-lines-per-function -- one page is one retry-safe activity: judge, replay the missing and tally in the order the tally relies on
    async reconcilePage(input: ReconcilePageInput): Promise<ReconcilePageResult> {
      const client = Context.current().client;
      const replay = replayers(deps, client);
      const rows = await loadPage(input);
      const tally: Tally = {};
      const missing: CallRow[] = [];
      for (const row of rows) {
        const t = (tally[row.partner_id] ??= emptyPartnerTally());
        t.terminal++;
        const state = terminalCallState(row.event_id ? { status: row.event_status!, workflowStarted: !!row.workflow_started } : null);
        if (state === 'reconciled') {
          t.processed++;
          continue;
        }
        t.missing++;
        if (t.samples.length < MAX_SAMPLES) t.samples.push(row.call_id);
        missing.push(row);
      }

      const outcomes = new Map<CallRow, ReplayOutcome>();
      let next = 0;
      const worker = async () => {
        while (next < missing.length) {
          const row = missing[next++]!;
          const state = terminalCallState(row.event_id ? { status: row.event_status!, workflowStarted: !!row.workflow_started } : null);
          try {
            const outcome =
              state === 'never_received' ? await replay.synthesize(row)
              : state === 'never_started' ? await replay.startNeverStarted(row)
              : state === 'dead_lettered' ? await replay.redriveDeadLettered(row)
              : await replay.restartUnfinished(row);
            outcomes.set(row, outcome);
          } catch (err) {
            // One call's replay failing must not hide the rest of the page; it is counted and logged.
            logger.error({ err, partner_id: row.partner_id, call_id: row.call_id, state }, 'reconciliation replay failed');
            outcomes.set(row, { kind: 'failed', eventId: row.event_id, error: (err as Error).message });
          }
          Context.current().heartbeat();
        }
      };
      await Promise.all(Array.from({ length: Math.min(REPLAY_CONCURRENCY, missing.length) }, worker));

      const records: Array<{ run_id: string; partner_id: string; call_id: string; action: 'synthesized' | 'started' | 'restarted' | 'redriven'; event_id: string | null; workflow_id: string | null; error: string | null }> = [];
      for (const [row, o] of outcomes) {
        const t = tally[row.partner_id]!;
        if (o.kind === 'replayed') {
          t.replayed++;
          for (const wf of o.workflowIds) {
            records.push({ run_id: input.runId, partner_id: row.partner_id, call_id: row.call_id, action: o.action, event_id: o.eventId, workflow_id: wf, error: null });
          }
        } else if (o.kind === 'in_flight') t.inFlight++;
        else t.failed++;
      }
      if (records.length > 0) await db.insertInto('reconciliation_replays').values(records).execute();

      const last = rows[rows.length - 1];
      logger.info(
        { run_id: input.runId, calls: rows.length, missing: missing.length, replayed: records.length },
        'reconciliation page done',
      );
      return {
        count: rows.length,
        next: last ? { endedAt: last.cursor_ended_at, partnerId: last.partner_id, callId: last.call_id } : input.after,
        tally,
      };
    },
  };
}
