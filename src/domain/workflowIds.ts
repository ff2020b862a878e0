/**
 * The workflow id grammar, in one place. Ids are deterministic so that a start is idempotent
 * (REJECT_DUPLICATE turns a second start into "already started") and readable in the Temporal UI:
 *
 *   event           `<partner>:<call>:<event type>`         one per stored event (the dedupe key)
 *   release         `<event id>:release`                    the event re-run after a quarantine release
 *   per endpoint    `<event or release id>:<endpoint id>`   one delivery workflow per (event, endpoint)
 *   redrive         `<per-endpoint id>:redrive:<n>`         the n-th redrive of a dead-lettered delivery
 */

export function eventWorkflowId(partnerId: string, callId: string, eventType: string): string {
  return `${partnerId}:${callId}:${eventType}`;
}

/** The first run stays in history as the quarantine record; the release runs under its own id. */
export function releaseWorkflowId(eventWorkflowId: string): string {
  return `${eventWorkflowId}:release`;
}

/** `eventOrReleaseWorkflowId` is the parent's own id: a released event's deliveries nest under the release. */
export function endpointWorkflowId(eventOrReleaseWorkflowId: string, endpointId: string): string {
  return `${eventOrReleaseWorkflowId}:${endpointId}`;
}

/** Unique per redrive and stable on retry; a redrive of a redrive counts from the original id. */
export function redriveWorkflowId(deliveryWorkflowId: string, redriveCount: number): string {
  return `${withoutRedrive(deliveryWorkflowId)}:redrive:${redriveCount}`;
}

const RELEASE_SUFFIX = /:release$/;
const REDRIVE_SUFFIX = /:redrive:(\d+)$/;
const ENDPOINT_SUFFIX = /:(ep_[A-Za-z0-9_-]+)$/;

function withoutRedrive(workflowId: string): string {
  return workflowId.replace(REDRIVE_SUFFIX, '');
}

/**
 * What a workflow id names, read from its suffixes (an operator pastes one from the Temporal UI).
 * `eventWorkflowId` is the stored event's id in every form. The event form itself is not checked
 * further: partner, call and event type are free text that may contain `:`.
 */
export type ParsedWorkflowId =
  | { kind: 'event'; eventWorkflowId: string }
  | { kind: 'release'; eventWorkflowId: string }
  | { kind: 'endpoint'; eventWorkflowId: string; released: boolean; endpointId: string; deliveryWorkflowId: string }
  | { kind: 'redrive'; eventWorkflowId: string; released: boolean; endpointId: string; deliveryWorkflowId: string; redriveCount: number };

export function parseWorkflowId(workflowId: string): ParsedWorkflowId {
  const redrive = REDRIVE_SUFFIX.exec(workflowId);
  const deliveryWorkflowId = withoutRedrive(workflowId);
  const endpoint = ENDPOINT_SUFFIX.exec(deliveryWorkflowId);
  if (endpoint) {
    const parent = deliveryWorkflowId.slice(0, endpoint.index);
    const released = RELEASE_SUFFIX.test(parent);
    const delivery = { eventWorkflowId: parent.replace(RELEASE_SUFFIX, ''), released, endpointId: endpoint[1]!, deliveryWorkflowId };
    return redrive ? { kind: 'redrive', ...delivery, redriveCount: Number(redrive[1]) } : { kind: 'endpoint', ...delivery };
  }
  if (RELEASE_SUFFIX.test(workflowId)) return { kind: 'release', eventWorkflowId: workflowId.replace(RELEASE_SUFFIX, '') };
  return { kind: 'event', eventWorkflowId: workflowId };
}
