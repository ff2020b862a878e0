import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { DeliveryWorkflow } from '../../workflows/types';
import type { Config } from '../config';
import { destinationLabel } from '../domain/destination';
import { markdownCode } from '../domain/markdownCode';
import { eventPolicy } from './eventPolicy';
import { workflowSearchAttributes } from './searchAttributes';

/**
 * Starts a standalone deliveryWorkflow (redrive, endpoint test, reconciliation replay): the same
 * input shape, retry policy and search attributes the event workflow gives its children.
 */
export interface DeliveryStart {
  workflowId: string;
  deliveryId: string;
  eventId: string;
  endpointId: string;
  endpointUrl: string;
  maxAttempts: number | null;
  /** attempt_count so far: the new run's attempt budget counts from here. */
  attemptBase: number;
  partnerId: string;
  /** Null for a delivery to a partner-level operations endpoint. */
  tenantId: string | null;
  callId: string;
  eventType: string;
  /** Why this run exists, shown as the workflow summary in the UI (the host is appended). */
  purpose: string;
  /** What the workflow details in the UI add after the delivery's ids (a redrive: after how many attempts). */
  note?: string;
}

export async function startDeliveryWorkflow(client: Client, config: Config, s: DeliveryStart): Promise<void> {
  const policy = eventPolicy(config);
  const destination = destinationLabel(s.endpointUrl);
  await client.workflow.start<DeliveryWorkflow>('deliveryWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: s.workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [
      {
        deliveryId: s.deliveryId,
        eventId: s.eventId,
        endpointId: s.endpointId,
        destination,
        retry: s.maxAttempts ? { ...policy.retry, maxAttempts: s.maxAttempts } : policy.retry,
        deliveryTimeoutMs: policy.deliveryTimeoutMs,
        attemptBase: s.attemptBase,
      },
    ],
    // The UI renders these as Markdown: ids and the host go in code spans, so they show as they are.
    staticSummary: `${s.purpose}: deliver ${s.eventType} to ${markdownCode(destination)}`,
    staticDetails: `delivery ${markdownCode(s.deliveryId)}, endpoint ${markdownCode(s.endpointId)}, event ${markdownCode(s.eventId)}${s.note ? `, ${s.note}` : ''}`,
    typedSearchAttributes: workflowSearchAttributes({ partnerId: s.partnerId, tenantId: s.tenantId ?? undefined, callId: s.callId, eventType: s.eventType, deliveryStatus: 'delivering' }),
  });
}
