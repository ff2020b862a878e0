import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { CreatedPartner } from '../src/tenancy/partners';
import { secretKeyBytes } from '../src/signing/webhookSecret';

export interface PostedEvent {
  eventId: string;
  /** When the POST was sent (bench clock, ms). */
  sentAt: number;
}

/**
 * Posts unique, correctly signed `call.started` events (Standard Webhooks headers) to a
 * Switchboard's ingest API, as a partner would; every event routes to the bench tenant.
 */
export class EventPoster {
  private readonly agent: Agent;
  private readonly key: Buffer;

  constructor(
    private readonly apiUrl: string,
    private readonly partner: Pick<CreatedPartner, 'id' | 'inbound_secret'>,
    connections: number,
  ) {
    this.agent = new Agent({ connections });
    this.key = secretKeyBytes(partner.inbound_secret);
  }

  async post(callId: string): Promise<PostedEvent> {
    const body = JSON.stringify({
      event: 'call.started',
      call_id: callId,
      occurred_at: new Date().toISOString(),
      runtime_vars: { crm_account_id: 'bench-crm' },
      data: { agent_id: 'agent-7', direction: 'inbound', note: 'x'.repeat(200) },
    });
    const ts = Math.floor(Date.now() / 1000);
    const msgId = `msg_${callId}`;
    const sig = createHmac('sha256', this.key).update(`${msgId}.${ts}.${body}`).digest('base64');
    const sentAt = Date.now();
    const res = await request(`${this.apiUrl}/v1/webhooks/${this.partner.id}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
      body,
    });
    const json = (await res.body.json()) as { event_id: string };
    if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${JSON.stringify(json)}`);
    return { eventId: json.event_id, sentAt };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
