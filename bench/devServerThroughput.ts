import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/dev/temporalCli';
import { stopChild, waitUntil } from '../src/dev/childProcess';

/**
 * Diagnostic: bare-workflow throughput of a dev server started with extra flags
 * (argv: N, then dev-server flags). Used to choose the dev server's SQLite settings.
 */
async function main() {
  const [nArg, ...flags] = process.argv.slice(2);
  const n = Number(nArg ?? 500);
  const cli = (await resolveTemporalCli(undefined, () => undefined))!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tput-'));
  const port = 17000 + Math.floor(Math.random() * 1000);
  const server = spawn(cli.path, ['server', 'start-dev', '--headless', '--port', String(port), '--db-filename', path.join(dir, 't.db'), '--log-level', 'error', ...flags], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  const connection = await waitUntil(() => Connection.connect({ address }), 30_000, 'dev server');
  let got = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'baselineWorker.ts'), address, 'tput', 'whsec_' + Buffer.alloc(32, 1).toString('base64')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => worker.stdout!.once('data', () => r()));
  const client = new Client({ connection });
  const t0 = Date.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (i < n) {
        const id = `w-${i++}`;
        await client.workflow.start('baselineDeliveryWorkflow', { taskQueue: 'tput', workflowId: id, args: [{ id, url, receivedAt: new Date().toISOString() }] });
      }
    }),
  );
  const startedIn = (Date.now() - t0) / 1000;
  while (got < n) await new Promise((r) => setTimeout(r, 50));
  const s = (Date.now() - t0) / 1000;
  process.stdout.write(`flags=[${flags.join(' ')}] n=${n} starts ${(n / startedIn).toFixed(0)}/s, completed ${(n / s).toFixed(1)}/s\n`);
  worker.kill('SIGTERM');
  await connection.close();
  receiver.close();
  await stopChild(server);
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
