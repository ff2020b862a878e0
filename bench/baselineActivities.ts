import { Agent, request } from 'undici';
import { signDelivery } from '../src/signing/signDelivery';

/** The baseline's only activity: the same envelope, signature headers and HTTP client as Switchboard. */
export function createBaselineActivities(secret: string) {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  return {
    async postSigned(input: { id: string; url: string; receivedAt: string }): Promise<void> {
      const body = JSON.stringify({
        id: input.id,
        type: 'call.started',
        tenant_id: 'ten_bench',
        call_id: input.id,
        occurred_at: input.receivedAt,
        received_at: input.receivedAt,
        data: { agent_id: 'agent-7', direction: 'inbound', note: 'x'.repeat(200) },
      });
      const headers = { 'content-type': 'application/json', ...signDelivery([secret], input.id, Math.floor(Date.now() / 1000), body) };
      const res = await request(input.url, { method: 'POST', headers, body, dispatcher: agent });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
    },
  };
}
