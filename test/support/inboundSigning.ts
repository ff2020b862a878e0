import { randomUUID } from 'node:crypto';
import { standardSignature } from '../../src/signing/signDelivery';

/** Headers a partner would send: Standard Webhooks signature with its inbound secret. */
export function partnerHeaders(secret: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(nowSeconds),
    'webhook-signature': standardSignature(secret, id, nowSeconds, body),
  };
}

export async function postEvent(api: string, partnerId: string, secret: string, event: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(event);
  return fetch(`${api}/v1/webhooks/${partnerId}`, { method: 'POST', headers: partnerHeaders(secret, body), body });
}
