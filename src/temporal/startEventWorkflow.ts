import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config';
import type { EventWorkflow } from '../../workflows/types';
import { eventPolicy } from './eventPolicy';
import { markdownCode } from '../domain/markdownCode';
import { releaseWorkflowId } from '../domain/workflowIds';
import { workflowSearchAttributes } from './searchAttributes';

export interface StartableEvent {
  id: string;
  partner_id: string;
  call_id: string;
  event_type: string;
  terminal: boolean;
  workflow_id: string;
  /** The ingest span's traceparent (tracing on; src/outbox/relay.ts): the start continues its trace. */
  traceparent?: string | null;
}

export interface StartEventWorkflowOptions {
  /**
   * Reconciliation restarts an event whose workflow failed or was terminated with
   * ALLOW_DUPLICATE_FAILED_ONLY: a completed run still can never run twice.
   */
  reusePolicy?: WorkflowIdReusePolicy;
  /**
   * Eager workflow start: the server hands the first workflow task back in the start response, to
   * the worker sharing this client's NativeConnection, instead of through the task queue (one
   * matching round trip fewer per event). Only for a client on a worker's connection (the
   * outbox relay); the server falls back to the task queue when that worker has no free slot.
   */
  eager?: boolean;
  /**
   * A quarantined event released to a tenant: it runs again under its release id with the tenant
   * forced, at the default priority (the first run stays in history as the quarantine record).
   */
  release?: { tenantId: string; quarantineId: string };
}

/**
 * Starts the event's workflow. REJECT_DUPLICATE on the deterministic id makes this safe to call
 * any number of times (the outbox relay, reconciliation): an "already started" answer is
 * the dedupe working, not a failure. Terminal events get the higher task-queue priority.
 */
export async function startEventWorkflow(
  client: Client,
  config: Config,
  event: StartableEvent,
  opts: StartEventWorkflowOptions = {},
): Promise<{ started: boolean; eagerlyStarted?: boolean }> {
  const { release } = opts;
  try {
    const handle = await client.workflow.start<EventWorkflow>('eventWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: release ? releaseWorkflowId(event.workflow_id) : event.workflow_id,
      workflowIdReusePolicy: opts.reusePolicy ?? WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...(opts.eager ? { requestEagerStart: true } : {}),
      args: [
        {
          eventId: event.id,
          partnerId: event.partner_id,
          callId: event.call_id,
          eventType: event.event_type,
          policy: eventPolicy(config),
          ...(release ? { forcedTenantId: release.tenantId } : {}),
        },
      ],
      typedSearchAttributes: workflowSearchAttributes({
        partnerId: event.partner_id,
        tenantId: release?.tenantId,
        callId: event.call_id,
        eventType: event.event_type,
      }),
      // The UI renders these as Markdown: ids go in code spans, so they show as they are.
      ...(release
        ? {
            staticSummary: `Released ${event.event_type} for call ${markdownCode(event.call_id)} to tenant ${markdownCode(release.tenantId)}`,
            staticDetails: `event ${markdownCode(event.id)} released from quarantine ${markdownCode(release.quarantineId)}`,
          }
        : {
            staticSummary: `${event.event_type} for call ${markdownCode(event.call_id)}`,
            staticDetails: `event ${markdownCode(event.id)} from partner ${markdownCode(event.partner_id)}`,
            priority: { priorityKey: event.terminal ? 1 : 3 },
          }),
    });
    return { started: true, eagerlyStarted: handle.eagerlyStarted };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw err;
  }
}
