/**
 * The child's side of the launcher's IPC channel (src/dev/nodeService.ts): `switchboard server`
 * and `switchboard worker` say when they are ready. Outside `npm start` there is no channel and
 * this does nothing.
 */
const READY = 'switchboard:ready';

export interface ReadyMessage {
  type: typeof READY;
  [detail: string]: unknown;
}

export function reportReadyToLauncher(details: Record<string, unknown> = {}): void {
  if (process.send && process.connected) process.send({ ...details, type: READY } satisfies ReadyMessage);
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === READY;
}
