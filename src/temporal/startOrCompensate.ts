import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { UnavailableError } from '../errors';

export interface ClaimedStart {
  /** Starts the workflow the claimed rows are waiting for. */
  start(): Promise<unknown>;
  /** Gives the claim back (and says so in the record) when the start failed. */
  compensate(err: Error): Promise<void>;
  /** The 503's message: what state the caller's rows are left in, and what to do. */
  unavailable: string;
}

/**
 * The second half of every "claim rows → start a workflow" action (redrive, quarantine release,
 * endpoint test): the rows were committed first, so a failed start must undo the claim before
 * answering 503, or the rows would claim a workflow that does not exist. "Already started" is the
 * deterministic id doing its job (a retry of an action that did start): no compensation.
 */
export async function startOrCompensate(claimed: ClaimedStart): Promise<void> {
  try {
    await claimed.start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    await claimed.compensate(err as Error);
    throw new UnavailableError(claimed.unavailable);
  }
}
