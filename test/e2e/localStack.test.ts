import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { SecretBox } from '../../src/crypto/secretBox';
import { connectDatabase } from '../../src/db/connect';
import { createPartner } from '../../src/tenancy/partners';
import { insertEndpoint } from '../../src/tenancy/endpoints';
import { createTenant, insertRoute } from '../../src/tenancy/tenants';
import { postEvent } from '../support/inboundSigning';
import { freePort } from '../support/ports';
import { startReceiver } from '../support/receiver';

/**
 * `npm start` as a user runs it: the real CLI process starts embedded Postgres, the Temporal dev
 * server (with UI), worker and API; SIGTERM leaves no process behind; a second start keeps the
 * rows and workflow histories of the first.
 */
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Ports {
  api: number;
  temporal: number;
  ui: number;
  pg: number;
}

function startCli(dataDir: string, ports: Ports): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(TSX, ['src/cli/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWITCHBOARD_DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_POSTGRES_PORT: String(ports.pg),
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function waitForBanner(output: () => string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes('Switchboard is running')) {
    if (child.exitCode !== null) throw new Error(`switchboard start exited early:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`no banner after ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Children may take a moment to finish shutting down on a loaded machine. */
async function waitUntilNoProcessUses(dataDir: string, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesUsing(dataDir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = processesUsing(dataDir);
  }
  return left;
}

function processesUsing(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dataDir], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('npm start: the local stack', () => {
  let dataDir: string;
  let ports: Ports;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-start-'));
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
  });
  afterAll(() => {
    for (const line of processesUsing(dataDir)) {
      const pid = Number(line.split(' ')[0]);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, is ready, serves the Temporal UI, stops cleanly and keeps data across restarts', async () => {
    const receiver = await startReceiver();
    const first = startCli(dataDir, ports);
    let workflowId: string;
    let eventId: string;
    try {
      await waitForBanner(first.output, first.child);
      const banner = first.output();
      expect(banner).toContain(`http://127.0.0.1:${ports.api}`);
      expect(banner).toContain(`http://127.0.0.1:${ports.ui}`);
      expect(banner).toMatch(/Admin API key\s+sk_admin_/);

      const ready = await fetch(`http://127.0.0.1:${ports.api}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ components: { postgres: { status: 'up' }, temporal: { status: 'up' } } });
      const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<html/i);

      // Drive one event through the running stack, using the keys it generated in the data dir.
      const secrets = JSON.parse(readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as {
        encryptionKey: string;
        postgresPassword: string;
      };
      const database = connectDatabase(`postgres://postgres:${secrets.postgresPassword}@127.0.0.1:${ports.pg}/switchboard`);
      const box = new SecretBox(secrets.encryptionKey);
      try {
        const partner = await createPartner(database.db, box, { name: 'Restart Co' });
        const tenant = await createTenant(database.db, partner.id, { name: 'T' });
        await insertRoute(database.db, partner.id, tenant.id, 'crm_account_id', 'crm-restart');
        await insertEndpoint(database.db, box, partner.id, tenant.id, { url: receiver.url });
        const res = await postEvent(`http://127.0.0.1:${ports.api}`, partner.id, partner.inbound_secret, {
          event: 'call.ended',
          call_id: 'restart-call',
          occurred_at: new Date().toISOString(),
          runtime_vars: { crm_account_id: 'crm-restart' },
        });
        expect(res.status).toBe(202);
        ({ workflow_id: workflowId, event_id: eventId } = (await res.json()) as { workflow_id: string; event_id: string });
        await receiver.waitFor(1);
        const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
        try {
          await new Client({ connection }).workflow.getHandle(workflowId).result();
        } finally {
          await connection.close();
        }
      } finally {
        await database.close();
      }
    } finally {
      await stopCli(first.child);
    }
    // Postgres and Temporal children are gone with their parent.
    expect(await waitUntilNoProcessUses(dataDir)).toEqual([]);

    const second = startCli(dataDir, ports);
    try {
      await waitForBanner(second.output, second.child);
      const secrets = JSON.parse(readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as { postgresPassword: string };
      const database = connectDatabase(`postgres://postgres:${secrets.postgresPassword}@127.0.0.1:${ports.pg}/switchboard`);
      try {
        const row = await database.db.selectFrom('events').select(['id', 'status']).where('id', '=', eventId!).executeTakeFirst();
        expect(row).toEqual({ id: eventId!, status: 'delivered' });
      } finally {
        await database.close();
      }
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      try {
        const client = new Client({ connection });
        const description = await client.workflow.getHandle(workflowId!).describe();
        expect(description.status.name).toBe('COMPLETED');
      } finally {
        await connection.close();
      }
    } finally {
      await stopCli(second.child);
      await receiver.close();
    }
    expect(await waitUntilNoProcessUses(dataDir)).toEqual([]);
  });
});
