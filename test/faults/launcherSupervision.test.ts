import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freeStackPorts,
  killAll,
  launchStack,
  processTree,
  sleep,
  stillRunning,
  waitForBanner,
  waitUntilAllGone,
  type LaunchedStack,
  type ProcessIdentity,
} from '../support/launchedStack';
import { awaitDelivered, FAULT_TUNING, printFigures, ROUTE_KEY, runLoad, startDedupeReceiver, tally, type DedupeReceiver } from './faultRun';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 300);
const LOAD_MS = 60_000;

/**
 * The local stack supervises itself: in the middle of a burst of signed events, each child of the
 * launcher is killed with -9 in turn (Temporal, Postgres, the API server, the worker). Each one is
 * restarted by the launcher with a log line, and every event the partner got a 2xx for reaches the
 * receiver without anyone touching the stack. The partner retries anything but a 2xx/4xx (as
 * partners do), so it rides out the seconds the API server or Postgres is down.
 */
const CHILDREN: Array<{ name: string; matches: RegExp }> = [
  { name: 'temporal', matches: /temporal server start-dev/ },
  { name: 'postgres', matches: /\/postgres -D / },
  { name: 'server', matches: /bin\/switchboard server$/ },
  { name: 'worker', matches: /bin\/switchboard worker$/ },
];

describe('fault: npm start restarts each child killed with -9 mid-burst', () => {
  let dataDir: string;
  let stack: LaunchedStack;
  let receiver: DedupeReceiver;
  const everything: ProcessIdentity[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-supervision-'));
    receiver = await startDedupeReceiver();
    const ports = await freeStackPorts();
    stack = launchStack({ how: 'launcher', dataDir, ports, env: FAULT_TUNING });
    await waitForBanner(stack);
  }, 180_000);
  afterAll(async () => {
    if (stack) {
      everything.push(...processTree(stack.child.pid!));
      if (stack.child.exitCode === null) stack.child.kill('SIGTERM');
      await waitUntilAllGone(everything, 60_000);
      killAll(everything);
    }
    await receiver?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 90_000);

  it('restarts Temporal, Postgres, server and worker and delivers every acknowledged event', async () => {
    const partner = await provision(stack.api, adminKey(dataDir), receiver.url);
    const load = runLoad({ api: () => stack.api, partnerId: partner.id, secret: partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS, giveUpMs: 180_000 });

    const killed: Record<string, number> = {};
    for (const { name, matches } of CHILDREN) {
      await sleep(5_000);
      const tree = processTree(stack.child.pid!);
      everything.push(...tree);
      const victim = tree.find((p) => matches.test(p.cmdline));
      if (!victim) throw new Error(`no ${name} under the launcher:\n${tree.map((p) => p.cmdline).join('\n')}`);
      const restartsBefore = countRestarts(stack.output(), name);
      process.kill(victim.pid, 'SIGKILL');
      killed[name] = victim.pid;
      await waitForRestart(stack, name, restartsBefore, 90_000);
      expect(stillRunning([victim])).toEqual([]);
    }
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    await awaitDelivered(receiver, result.acks, 180_000);
    const figures = tally('launcher children killed -9 in turn', result, receiver);
    printFigures(figures, { killed, restarts: Object.fromEntries(CHILDREN.map(({ name }) => [name, countRestarts(stack.output(), name)])) });

    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(receiver.accepted.keys())).toEqual(new Set(result.acks.keys()));
    // Every death and every restart said so in the launcher's log.
    for (const { name } of CHILDREN) {
      expect(stack.output()).toMatch(new RegExp(`${name} exited unexpectedly \\(signal SIGKILL\\)`));
      expect(countRestarts(stack.output(), name)).toBeGreaterThanOrEqual(1);
    }
  }, 480_000);
});

function adminKey(dataDir: string): string {
  return (JSON.parse(readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as { adminKey: string }).adminKey;
}

/** partner -> tenant (routed by crm_account_id) -> endpoint at the receiver, through the API as a user would. */
async function provision(api: string, admin: string, receiverUrl: string): Promise<{ id: string; inbound_secret: string }> {
  const post = async <T>(key: string, route: string, body: unknown): Promise<T> => {
    const res = await fetch(`${api}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const partner = await post<{ id: string; api_key: string; inbound_secret: string }>(admin, '/v1/partners', { name: 'Supervision Co' });
  const tenant = await post<{ id: string; api_key: string }>(partner.api_key, '/v1/tenants', { name: 'Supervised Tenant' });
  await post(partner.api_key, `/v1/tenants/${tenant.id}/routes`, { kind: 'crm_account_id', value: ROUTE_KEY });
  await post(tenant.api_key, `/v1/tenants/${tenant.id}/endpoints`, { url: receiverUrl });
  return partner;
}

function countRestarts(output: string, name: string): number {
  return output.split(`${name} restarted (pid `).length - 1;
}

async function waitForRestart(stack: LaunchedStack, name: string, before: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (countRestarts(stack.output(), name) <= before) {
    if (stack.child.exitCode !== null) throw new Error(`the launcher exited:\n${stack.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${name} was not restarted within ${timeoutMs} ms:\n${stack.output().slice(-4000)}`);
    await sleep(250);
  }
}
