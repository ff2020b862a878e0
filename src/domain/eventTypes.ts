/**
 * The event-type catalog: the one list of what partners may send and tenants may subscribe to.
 * `terminal` events end a call; reconciliation checks that each terminal call produced one, and
 * they are never shed under load.
 */
export interface EventTypeInfo {
  type: string;
  description: string;
  terminal: boolean;
  /** Not tied to a call: the payload's `id` stands in for `call_id`. */
  callless: boolean;
}

export const EVENT_TYPES: readonly EventTypeInfo[] = [
  { type: 'call.queued', description: 'A call entered the queue', terminal: false, callless: false },
  { type: 'call.started', description: 'A call was answered and the conversation began', terminal: false, callless: false },
  { type: 'call.transferred', description: 'A call was transferred to another agent or number', terminal: false, callless: false },
  { type: 'call.ended', description: 'A call finished normally', terminal: true, callless: false },
  { type: 'call.failed', description: 'A call failed (no answer, carrier or agent error)', terminal: true, callless: false },
  { type: 'transcript.available', description: 'The transcript of a call is ready', terminal: false, callless: false },
  { type: 'recording.ready', description: 'The recording of a call is ready', terminal: false, callless: false },
  { type: 'quality_score.ready', description: 'A quality score was computed for a call', terminal: false, callless: false },
  { type: 'cost.calculated', description: 'The cost of a call was calculated', terminal: false, callless: false },
  { type: 'agent.status_changed', description: 'A voice agent went online, offline or busy', terminal: false, callless: true },
  { type: 'agent.config_updated', description: "A voice agent's configuration changed", terminal: false, callless: true },
  { type: 'system.maintenance', description: 'Planned maintenance notice from the partner', terminal: false, callless: true },
  { type: 'switchboard.test', description: 'A test delivery sent from the endpoint test route', terminal: false, callless: true },
];

const BY_TYPE = new Map(EVENT_TYPES.map((e) => [e.type, e]));

export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  return BY_TYPE.get(type);
}

export function isTerminalEventType(type: string): boolean {
  return BY_TYPE.get(type)?.terminal ?? false;
}

export const TERMINAL_EVENT_TYPES = EVENT_TYPES.filter((e) => e.terminal).map((e) => e.type);

/** Types a partner may post (switchboard.* are ours). */
export const INBOUND_EVENT_TYPES = EVENT_TYPES.filter((e) => !e.type.startsWith('switchboard.')).map((e) => e.type);
