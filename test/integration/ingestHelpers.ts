import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { plainSignature } from '../../src/signing/signDelivery';
import { partnerHeaders } from '../support/inboundSigning';
import type { TestStack } from '../support/testStack';

/** Small helpers shared by the ingest integration tests (not a test file: no `.test.` in the name). */
export function callEvent(event: string, callId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event, call_id: callId, occurred_at: new Date().toISOString(), data: {}, ...extra };
}

export async function postRaw(stack: TestStack, partnerId: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> {
  return fetch(`${stack.api}/v1/webhooks/${partnerId}`, { method: 'POST', headers, body });
}

export async function postSigned(stack: TestStack, partnerId: string, secret: string, event: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(event);
  return postRaw(stack, partnerId, body, partnerHeaders(secret, body));
}

export function xSignatureHeaders(secret: string, body: string | Buffer): Record<string, string> {
  return { 'content-type': 'application/json', 'x-signature': plainSignature(secret, body) };
}

/** A Standard Webhooks signature over raw bytes (for bodies that are not valid UTF-8). */
export function signBytes(secret: string, body: Buffer, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const mac = createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${ts}.`), body])).digest('base64');
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${mac}` };
}

export async function countRows(stack: TestStack, partnerId: string): Promise<{ events: number; receipts: number }> {
  const db = stack.core.database.db;
  const e = await sql<{ n: number }>`select count(*)::int as n from events where partner_id = ${partnerId}`.execute(db);
  const r = await sql<{ n: number }>`select count(*)::int as n from receipts where partner_id = ${partnerId}`.execute(db);
  return { events: e.rows[0]!.n, receipts: r.rows[0]!.n };
}

/** Every run of a workflow id, from Temporal's visibility store (not from our database). */
export async function workflowRuns(stack: TestStack, workflowId: string): Promise<Array<{ runId: string; status: string }>> {
  const runs: Array<{ runId: string; status: string }> = [];
  for await (const w of stack.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: w.runId, status: w.status.name });
  }
  return runs;
}

/** A Prometheus sample value from /metrics text (0 when the series does not exist yet). */
export async function metricValue(stack: TestStack, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${stack.api}/metrics`)).text();
  return sampleValue(text, name, labels);
}

export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return 0;
}
