import { Webhook } from 'standardwebhooks';
import { rotateSigningSecret } from '../../src/tenancy/secrets';
import { spawnSwitchboard, stopProcessGroup } from '../support/cliProcess';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { freePort } from '../support/ports';
import { startTestStack, type TestStack } from '../support/testStack';
import { sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/**
 * `switchboard receive`, the walk-through's demo receiver, run as a user runs it: real deliveries
 * from the stack are printed as VALID with everything needed to verify them again with the
 * official `standardwebhooks` package; requests signed by that package are the oracle for what
 * must be accepted (200) and refused (4xx).
 */
describe('switchboard receive: the demo receiver', () => {
  let stack: TestStack;
  let receiver: ReturnType<typeof spawnSwitchboard>;
  let url: string;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let tenantId: string;
  let endpointId: string;
  let secret: string;

  /** The printed block of the request whose body contains `marker`, once it is printed. */
  const blockFor = (marker: string) =>
    waitUntil(`the receiver to print ${marker}`, async () => receiver.stdout().split('\n\n').find((b) => b.includes(marker)), 60_000);

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${url}/hook`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  const signed = (key: string, body: string, at = new Date(), id = `msg_${uniqueCallId('oracle')}`) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, body),
  });

  /** What a sender mid-rotation sends: one v1 signature per secret, space-separated. */
  const twoSignatures = (first: string, second: string, body: string) => {
    const at = new Date();
    const id = `msg_${uniqueCallId('rotation')}`;
    return { ...signed(first, body, at, id), 'webhook-signature': `${new Webhook(first).sign(id, at, body)} ${new Webhook(second).sign(id, at, body)}` };
  };

  const withoutTimestamp = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'webhook-timestamp'));

  beforeAll(async () => {
    stack = await startTestStack();
    partner = await seedPartner(stack, 'Receive Voice');
    tenantId = (await seedTenant(stack, partner.id, 'Receive tenant')).id;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const endpoint = await seedEndpoint(stack, partner.id, tenantId, { url: `${url}/hook` });
    endpointId = endpoint.id;
    secret = endpoint.secret;
    receiver = spawnSwitchboard(['receive', '--port', String(port), '--secret', secret]);
    await waitUntil('the receiver to listen', async () => receiver.stderr().includes(`listening on ${url}`) || (receiver.child.exitCode !== null && Promise.reject(new Error(receiver.stderr()))), 60_000);
  });
  afterAll(async () => {
    if (receiver) {
      const exited = receiver.child.exitCode !== null || new Promise((r) => receiver.child.once('close', r));
      stopProcessGroup(receiver.child);
      await exited;
    }
    await stack?.close();
  });

  it('accepts a real delivery and prints verdict, headers and body: enough to verify it again with the official library', async () => {
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('receive'), tenant_id: tenantId });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    const block = await blockFor(ack.event_id);
    expect(block).toMatch(/^\S+Z {2}POST \/hook {2}-> 200 {2}VALID signature$/m);
    const header = (name: string) => new RegExp(`^  ${name}: (\\S+)`, 'm').exec(block)?.[1];
    const body = /^ {2}body: (.*)$/m.exec(block)![1]!;
    expect(JSON.parse(body)).toMatchObject({ id: ack.event_id, type: 'call.ended', tenant_id: tenantId });
    const headers = { 'webhook-id': header('webhook-id')!, 'webhook-timestamp': header('webhook-timestamp')!, 'webhook-signature': header('webhook-signature')! };
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });

  it('during a rotation a delivery carries two v1 signatures; a receiver holding either secret accepts it', async () => {
    const rotated = await rotateSigningSecret(stack.core.database.db, stack.core.secretBox, 'endpoint', endpointId, 3_600_000);
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('rotated'), tenant_id: tenantId });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    const block = await blockFor(ack.event_id);
    expect(block).toContain('-> 200  VALID signature');
    expect(block).toMatch(/^ {2}webhook-signature: v1,\S+ v1,\S+$/m);

    const body = /^ {2}body: (.*)$/m.exec(block)![1]!;
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, new RegExp(`^  ${h}: (\\S+(?: v1,\\S+)*)`, 'm').exec(block)![1]!]));
    expect(() => new Webhook(rotated.secret!).verify(body, headers)).not.toThrow();
  });

  it('answers 200 only to what the official library accepts; tampered body, stale or future timestamp, wrong secret, missing header get 4xx', async () => {
    const body = (label: string) => JSON.stringify({ id: `oracle-${label}`, type: 'switchboard.test' });
    const otherSecret = 'whsec_' + Buffer.from('not the endpoint secret at all!!').toString('base64');
    const sixMinutes = 6 * 60_000;
    const cases: Array<{ label: string; send: () => Promise<Response>; status: number; verdict: string }> = [
      { label: 'valid', send: () => post(body('valid'), signed(secret, body('valid'))), status: 200, verdict: 'VALID signature' },
      { label: 'rotation', send: () => post(body('rotation'), twoSignatures(otherSecret, secret, body('rotation'))), status: 200, verdict: 'VALID signature' },
      { label: 'tampered', send: () => post(body('tampered').replace('switchboard.test', 'call.ended'), signed(secret, body('tampered'))), status: 401, verdict: 'INVALID signature_mismatch' },
      { label: 'stale', send: () => post(body('stale'), signed(secret, body('stale'), new Date(Date.now() - sixMinutes))), status: 401, verdict: 'INVALID stale_timestamp' },
      { label: 'future', send: () => post(body('future'), signed(secret, body('future'), new Date(Date.now() + sixMinutes))), status: 401, verdict: 'INVALID stale_timestamp' },
      { label: 'wrong-secret', send: () => post(body('wrong-secret'), signed(otherSecret, body('wrong-secret'))), status: 401, verdict: 'INVALID signature_mismatch' },
      { label: 'no-timestamp', send: () => post(body('no-timestamp'), withoutTimestamp(signed(secret, body('no-timestamp')))), status: 400, verdict: 'INVALID missing_signature: missing webhook-timestamp' },
    ];
    for (const c of cases) {
      const res = await c.send();
      expect({ label: c.label, status: res.status }).toEqual({ label: c.label, status: c.status });
      const block = await blockFor(`oracle-${c.label}`);
      expect({ label: c.label, line: block.split('\n')[0] }).toEqual({ label: c.label, line: expect.stringContaining(`-> ${c.status}  ${c.verdict}`) });
    }
    // A readiness probe is answered and not reported as a delivery.
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('stops when the npx process that started it is killed (npm does not pass the signal on), freeing its port', async () => {
    const port = await freePort();
    const second = spawnSwitchboard(['receive', '--port', String(port), '--secret', secret]);
    try {
      await waitUntil('the second receiver to listen', async () => second.stderr().includes(`listening on http://127.0.0.1:${port}`), 60_000);
      process.kill(second.child.pid!, 'SIGTERM'); // npx only, as `kill %1` does in a shell without job control
      await waitUntil('the receiver to stop listening', () => fetch(`http://127.0.0.1:${port}/`).then(() => false, () => true), 30_000);
    } finally {
      stopProcessGroup(second.child, 'SIGKILL');
    }
  });
});
