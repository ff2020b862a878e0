import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../../src/crypto/apiKeys';
import { newId } from '../../src/ids';
import { encodeHistory } from '../histories/historyFile';
import { waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import type { TestStack } from '../support/testStack';

/** Shared steps of the delivery integration tests (real stack, real receivers). */

export interface Accepted {
  event_id: string;
  workflow_id: string;
}

export function uniqueCallId(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export async function sendEvent(
  stack: TestStack,
  partner: { id: string; inbound_secret: string },
  event: Record<string, unknown>,
): Promise<Accepted> {
  const res = await postEvent(stack.api, partner.id, partner.inbound_secret, {
    event: 'call.ended',
    occurred_at: new Date().toISOString(),
    data: { duration_seconds: 12 },
    ...event,
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Accepted;
}

export async function api<T = unknown>(stack: TestStack, method: string, route: string, key = stack.adminKey, body?: unknown) {
  const res = await fetch(`${stack.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface EventView {
  id: string;
  status: string;
  tenant_id: string | null;
  checkpoints: Array<{ stage: string; at: string; detail: Record<string, unknown> | null }>;
  deliveries: Array<{
    id: string;
    endpoint_id: string;
    status: string;
    attempt_count: number;
    dead_letter_reason: string | null;
    workflow_id: string;
    redrive_count: number;
    attempts: Array<{ attempt_number: number; started_at: string; duration_ms: number; status_code: number | null; error: string | null; response_body: string | null }>;
  }>;
}

export async function eventView(stack: TestStack, eventId: string, key = stack.adminKey): Promise<EventView> {
  const r = await api<EventView>(stack, 'GET', `/v1/events/${eventId}`, key);
  if (r.status !== 200) throw new Error(`GET /v1/events/${eventId} answered ${r.status}`);
  return r.body;
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function settle<T = { status: string }>(stack: TestStack, workflowId: string): Promise<T> {
  return waitForWorkflowResult<T>(stack, workflowId);
}

/** Inserts an API key directly (the tenancy routes that mint keys belong to another module). */
export async function seedApiKey(stack: TestStack, scope: 'partner' | 'tenant', partnerId: string, tenantId?: string): Promise<string> {
  const k = generateApiKey(scope);
  await stack.core.database.db
    .insertInto('api_keys')
    .values({ id: newId('key'), scope, partner_id: partnerId, tenant_id: tenantId ?? null, prefix: k.prefix, key_hash: k.hash })
    .execute();
  return k.key;
}

/**
 * With CAPTURE_HISTORIES=1, stores the workflow's real history under test/histories/ for the
 * replay test. Refuses to write a history that contains a secret.
 */
export async function captureHistory(stack: TestStack, workflowId: string, name: string, secrets: string[]): Promise<void> {
  if (!process.env['CAPTURE_HISTORIES']) return;
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const json = encodeHistory(history);
  for (const s of secrets) if (json.includes(s)) throw new Error(`history ${name} contains a secret`);
  const dir = path.join(__dirname, '..', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), json);
}
