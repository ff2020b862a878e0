import {
  log,
  proxyActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { markdownCode } from '../src/domain/markdownCode';
import { DeliveryStatusKey } from '../src/temporal/searchAttributes';
import { databaseSteps, summarised } from './databaseSteps';
import { readDeliveryFailure } from './deliveryFailure';
import type { DeliveryWorkflow, DeliveryWorkflowInput, DeliveryWorkflowResult, Implements } from './types';

const { markDeadLettered, settleEventStatus } = databaseSteps;

/**
 * Drives one (endpoint, event) delivery to delivered or dead-lettered. Each delivery is its own
 * workflow so a slow or dead endpoint never holds up another, has its own readable history in the
 * UI, and can be redriven alone. Retries are the activity's RetryPolicy; circuit-open and
 * rate-limit pauses are durable timers here, so they cost no attempt.
 */
// eslint-disable-next-line max-lines-per-function -- the workflow's whole command sequence (handover, attempt loop, park, settle) in one place, where a change to it is reviewed against docs/versioning.md
export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  let attemptCount = input.attemptBase;
  let result: DeliveryWorkflowResult | undefined;
  let status = 'delivering';
  const setStatus = (next: string) => {
    if (next === status) return;
    status = next;
    upsertSearchAttributes([{ key: DeliveryStatusKey, value: next }]);
  };
  setCurrentDetails(`delivering event ${markdownCode(input.eventId)} to ${markdownCode(input.destination)} (endpoint ${markdownCode(input.endpointId)})`);

  // Handed over by the event workflow after its inline first attempt: carry on from there.
  const handover = input.continuation;
  if (handover?.kind === 'park') {
    result = { status: 'dead_lettered', attempts: handover.attempts, reason: handover.reason };
  } else if (handover && handover.delayMs > 0) {
    if (handover.kind === 'wait' && handover.reason === 'circuit_open') setStatus('waiting_circuit');
    await sleep(handover.delayMs, {
      summary:
        handover.kind === 'retry' ? `back off after the first attempt (${handover.reason})`
        : handover.reason === 'circuit_open' ? 'circuit open: wait for the half-open probe'
        : 'endpoint rate limit',
    });
    setStatus('delivering');
  }

  while (!result) {
    const attemptsLeft = input.retry.maxAttempts - (attemptCount - input.attemptBase);
    if (attemptsLeft <= 0) {
      result = { status: 'dead_lettered', attempts: attemptCount, reason: `retries exhausted after ${attemptCount} attempts` };
      break;
    }
    const { deliverWebhook } = proxyActivities<Activities>({
      // The HTTP timeout plus room for the database writes around it.
      startToCloseTimeout: input.deliveryTimeoutMs + 20_000,
      summary: `POST to ${markdownCode(input.destination)} (up to ${attemptsLeft} attempts)`,
      retry: {
        initialInterval: input.retry.initialIntervalMs,
        backoffCoefficient: input.retry.backoffCoefficient,
        maximumInterval: input.retry.maxIntervalMs,
        maximumAttempts: attemptsLeft,
      },
    });
    try {
      const r = await deliverWebhook({ deliveryId: input.deliveryId });
      if (r.outcome === 'delivered') {
        result = { status: 'delivered', attempts: r.attempt };
      } else {
        attemptCount = r.attemptCount;
        if (r.reason === 'circuit_open') setStatus('waiting_circuit');
        log.info('delivery paused', { reason: r.reason, waitMs: r.waitMs });
        await sleep(r.waitMs, { summary: r.reason === 'circuit_open' ? 'circuit open: wait for the half-open probe' : 'endpoint rate limit' });
        setStatus('delivering');
      }
    } catch (err) {
      const failure = readDeliveryFailure(err);
      // A retryable failure reaching here has exhausted the policy's attempts.
      const reason = failure.classified ? `${failure.permanent ? 'permanent failure' : 'retries exhausted'}: ${failure.message}` : failure.message;
      result = { status: 'dead_lettered', attempts: failure.attempt ?? attemptCount, reason };
    }
  }

  if (result.status === 'dead_lettered') {
    await markDeadLettered.executeWithOptions(
      summarised('Park in the dead letter'),
      [{ deliveryId: input.deliveryId, reason: result.reason ?? 'failed' }],
    );
  }
  setStatus(result.status);
  setCurrentDetails(`${result.status} after ${result.attempts} attempts${result.reason ? `: ${result.reason}` : ''}`);
  await settleEventStatus.executeWithOptions(
    summarised('Settle the event status'),
    [input.eventId],
  );
  return result;
}

/** Clients start this workflow typed by DeliveryWorkflow (./types): this fails to compile if the two drift. */
export type DeliveryWorkflowImplements = Implements<typeof deliveryWorkflow, DeliveryWorkflow>;
