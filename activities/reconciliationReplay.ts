import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { sql } from 'kysely';
import type { ReplayAction } from '../src/domain/statuses';
import { eventWorkflowId } from '../src/domain/workflowIds';
import { terminalEventTypeFor } from '../src/domain/terminalCallStatus';
import { persistEvent } from '../src/ingest/persistEvent';
import { startEventWorkflow, type StartableEvent } from '../src/temporal/startEventWorkflow';
import { redriveDelivery } from '../src/operator/redrive';
import type { ActivityDeps } from './deps';

/** A terminal call from the call log joined with its terminal event, if any. */
export interface CallRow {
  partner_id: string;
  call_id: string;
  voice_session_id: string | null;
  tenant_id: string | null;
  call_status: string;
  started_at: string | null;
  ended_at: string;
  event_id: string | null;
  event_type: string | null;
  event_status: string | null;
  workflow_id: string | null;
  workflow_started: boolean | null;
}

/** What one replay did: a new run was started (`action`), or there was nothing safe to start. */
export type ReplayOutcome =
  | { kind: 'replayed'; action: ReplayAction; eventId: string; workflowIds: string[] }
  | { kind: 'in_flight'; eventId: string }
  | { kind: 'failed'; eventId: string | null; error: string };

/**
 * The four ways reconciliation repairs a missing terminal call. Every one is idempotent on its
 * own: the events dedupe key, REJECT_DUPLICATE / ALLOW_DUPLICATE_FAILED_ONLY workflow ids and a
 * compare-and-set on deliveries.redrive_count mean a retried activity or a second run starts
 * nothing twice.
 */
// eslint-disable-next-line max-lines-per-function -- a factory: one small replayer per missing-event kind, sharing the client and the dedupe rules described above
export function replayers(deps: ActivityDeps, client: Client) {
  const { db, config } = deps;

  async function markStarted(eventId: string): Promise<void> {
    await db
      .updateTable('events')
      .set({ workflow_started_at: sql`now()` })
      .where('id', '=', eventId)
      .where('workflow_started_at', 'is', null)
      .execute();
  }

  function startable(row: CallRow, eventId: string, eventType: string, workflowId: string): StartableEvent {
    return { id: eventId, partner_id: row.partner_id, call_id: row.call_id, event_type: eventType, terminal: true, workflow_id: workflowId };
  }

  /** No terminal event at all: persist one (source reconciliation) and run it like any other. */
  async function synthesize(row: CallRow): Promise<ReplayOutcome> {
    const eventType = terminalEventTypeFor(row.call_status);
    const workflowId = eventWorkflowId(row.partner_id, row.call_id, eventType);
    const payload = {
      event: eventType,
      call_id: row.call_id,
      occurred_at: row.ended_at,
      ...(row.tenant_id ? { tenant_id: row.tenant_id } : {}),
      ...(row.voice_session_id ? { voice_session_id: row.voice_session_id } : {}),
      source: 'reconciliation',
      data: { source: 'reconciliation', call_status: row.call_status, started_at: row.started_at, ended_at: row.ended_at },
    };
    const persisted = await persistEvent(db, {
      partnerId: row.partner_id,
      callId: row.call_id,
      eventType,
      terminal: true,
      tenantId: row.tenant_id,
      voiceSessionId: row.voice_session_id,
      occurredAt: row.ended_at,
      payload,
      workflowId,
      source: 'reconciliation',
      claimStart: true,
      receipt: { sourceIp: null, headers: { 'x-switchboard-source': 'reconciliation' }, body: JSON.stringify(payload) },
    });
    const { started } = await startEventWorkflow(client, config, startable(row, persisted.eventId, eventType, persisted.workflowId));
    await markStarted(persisted.eventId);
    // Not started = an earlier attempt of this activity already did it: never count it twice.
    return started
      ? { kind: 'replayed', action: 'synthesized', eventId: persisted.eventId, workflowIds: [persisted.workflowId] }
      : { kind: 'in_flight', eventId: persisted.eventId };
  }

  /** Acknowledged but never started (the outbox sweeper has not got to it, or cannot). */
  async function startNeverStarted(row: CallRow): Promise<ReplayOutcome> {
    const { started } = await startEventWorkflow(client, config, startable(row, row.event_id!, row.event_type!, row.workflow_id!));
    await markStarted(row.event_id!);
    return started
      ? { kind: 'replayed', action: 'started', eventId: row.event_id!, workflowIds: [row.workflow_id!] }
      : { kind: 'in_flight', eventId: row.event_id! };
  }

  /** Started but unsettled: leave a running workflow alone, restart a dead one under the same id. */
  async function restartUnfinished(row: CallRow): Promise<ReplayOutcome> {
    let status: string;
    try {
      status = (await client.workflow.getHandle(row.workflow_id!).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      status = 'NOT_FOUND'; // e.g. past the namespace retention
    }
    if (status === 'RUNNING') return { kind: 'in_flight', eventId: row.event_id! };
    if (status === 'COMPLETED') {
      return { kind: 'failed', eventId: row.event_id, error: `event workflow completed but the event is ${row.event_status}` };
    }
    const { started } = await startEventWorkflow(
      client,
      config,
      startable(row, row.event_id!, row.event_type!, row.workflow_id!),
      { reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY },
    );
    return started
      ? { kind: 'replayed', action: 'restarted', eventId: row.event_id!, workflowIds: [row.workflow_id!] }
      : { kind: 'in_flight', eventId: row.event_id! };
  }

  /**
   * Dead-lettered deliveries go through the operators' redrive path (src/operator/redrive.ts):
   * the same claim, workflow id scheme and attempt budget, so a reconciliation replay and an
   * operator's redrive can never both start one.
   */
  async function redriveDeadLettered(row: CallRow): Promise<ReplayOutcome> {
    const eventId = row.event_id!;
    const dead = await db
      .selectFrom('deliveries')
      .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
      .select(['deliveries.id', 'deliveries.endpoint_id', 'endpoints.enabled', 'endpoints.deleted_at'])
      .where('deliveries.event_id', '=', eventId)
      .where('deliveries.status', '=', 'dead_lettered')
      .execute();
    if (dead.length === 0) return { kind: 'in_flight', eventId }; // redriven meanwhile
    const started: string[] = [];
    const refused: string[] = [];
    for (const d of dead) {
      if (!d.enabled || d.deleted_at) {
        refused.push(`endpoint ${d.endpoint_id} is ${d.deleted_at ? 'deleted' : 'disabled'}`);
        continue;
      }
      const outcome = await redriveDelivery({ db, temporal: client, config, logger: deps.logger }, d.id, {});
      if (outcome?.redriven && outcome.workflow_id) started.push(outcome.workflow_id);
    }
    if (started.length > 0) return { kind: 'replayed', action: 'redriven', eventId, workflowIds: started };
    if (refused.length > 0) return { kind: 'failed', eventId, error: refused.join('; ') };
    return { kind: 'in_flight', eventId };
  }

  return { synthesize, startNeverStarted, restartUnfinished, redriveDeadLettered };
}
