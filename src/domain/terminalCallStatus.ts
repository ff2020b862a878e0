import type { EventStatus } from './statuses';

/**
 * How reconciliation judges one terminal call from the call log against what Switchboard
 * processed, and which terminal event a call with none gets. Pure rules, unit tested.
 */
export type TerminalCallState =
  /** Delivered, no subscribers, or quarantined/discarded on purpose: nothing to do. */
  | 'reconciled'
  /** No terminal event was ever received: synthesize one. */
  | 'never_received'
  /** Received and acknowledged, but its workflow was never started (still in the outbox). */
  | 'never_started'
  /** Every or some delivery dead-lettered: redrive those deliveries. */
  | 'dead_lettered'
  /** Started but not finished: running (in flight) or its workflow died (restart it). */
  | 'unfinished';

const RECONCILED: ReadonlySet<string> = new Set<EventStatus>(['delivered', 'no_subscribers', 'quarantined', 'discarded']);

export function terminalCallState(event: { status: string; workflowStarted: boolean } | null): TerminalCallState {
  if (!event) return 'never_received';
  if (RECONCILED.has(event.status)) return 'reconciled';
  if (event.status === 'dead_lettered' || event.status === 'partially_delivered') return 'dead_lettered';
  if (!event.workflowStarted) return 'never_started';
  return 'unfinished';
}

/** Call-log statuses that mean the call failed rather than ended normally. */
const FAILED_CALL_STATUSES = ['failed', 'error', 'no_answer', 'busy', 'rejected', 'canceled', 'cancelled'] as const;
const FAILED = new Set<string>(FAILED_CALL_STATUSES);

/** The terminal event a call should have produced, from its call-log status. */
export function terminalEventTypeFor(callStatus: string): 'call.ended' | 'call.failed' {
  return FAILED.has(callStatus.toLowerCase()) ? 'call.failed' : 'call.ended';
}

/** Call-log statuses a partner may send; the last group ends a call. */
export const CALL_STATUSES = ['queued', 'ringing', 'in_progress', 'ended', 'completed', ...FAILED_CALL_STATUSES] as const;
const TERMINAL_CALL_STATUSES = new Set(['ended', 'completed', ...FAILED_CALL_STATUSES]);

export function isTerminalCallStatus(status: string): boolean {
  return TERMINAL_CALL_STATUSES.has(status.toLowerCase());
}
