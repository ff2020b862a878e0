import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../../src/dev/localStack';
import { localStackStatePath, readLocalStackState } from '../../src/dev/localStackState';
import { cliEnv, ROOT, runSwitchboard } from '../support/cliProcess';
import { seedPartner, seedTenant } from '../support/fixtures';
import { createTestDatabase, startTestStack, type TestStack } from '../support/testStack';
import { sendEvent, uniqueCallId } from './deliveryHelpers';

/**
 * The `switchboard` bin as a user runs it, `npx switchboard …` in its own process: right after
 * `npm install` (TypeScript source), from a build (dist/), and against a local stack it finds
 * through the data dir with no DATABASE_URL / TEMPORAL_ADDRESS set.
 */
const COMMANDS = ['start', 'migrate', 'server', 'worker', 'events', 'deliveries', 'replay', 'reconcile', 'incidents', 'quarantine', 'receive'];

describe('npx switchboard', () => {
  let stack: TestStack;
  let eventId: string;
  let stackEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const partner = await seedPartner(stack, 'Bin Voice');
    const tenant = await seedTenant(stack, partner.id, 'Bin tenant');
    ({ event_id: eventId } = await sendEvent(stack, partner, { call_id: uniqueCallId('bin'), tenant_id: tenant.id }));
    stackEnv = cliEnv({ DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.config.temporal.address! });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('--help lists the commands and exits 0 (from the source, right after npm install)', async () => {
    const r = await runSwitchboard(['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('Usage: switchboard [options] [command]');
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('runs an operator command against the stack named by DATABASE_URL / TEMPORAL_ADDRESS, with main.ts exit codes', async () => {
    const shown = await runSwitchboard(['events', 'show', eventId, '--json'], { env: stackEnv });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: eventId, event_type: 'call.ended' });

    const missing = await runSwitchboard(['events', 'show', 'evt_nope'], { env: stackEnv });
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: 'switchboard: no event found for evt_nope\n' });
  });

  describe('finding the local stack that npm start left in the data dir', () => {
    let dataDir: string;
    let local: LocalStack | undefined;
    const saved = { ...process.env };

    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-data-'));
      const suffix = path.basename(dataDir);
      // The launcher in this process, on its own database; the test stack's Temporal dev server
      // stands in for the one npm start would run (TEMPORAL_ADDRESS: the launcher starts none).
      Object.assign(process.env, {
        SWITCHBOARD_DATA_DIR: dataDir,
        DATABASE_URL: await createTestDatabase(),
        TEMPORAL_ADDRESS: stack.config.temporal.address,
        TEMPORAL_TASK_QUEUE: `local-${suffix}`,
        RECONCILIATION_SCHEDULE_ID: `reconciliation-${suffix}`,
        RETENTION_SCHEDULE_ID: `retention-${suffix}`,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      });
      local = await startLocalStack();
    });
    afterAll(async () => {
      await local?.stop();
      process.env = saved;
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('the launcher records where it is once ready (owner-only file), and the CLI uses it, saying so', async () => {
      const file = localStackStatePath(dataDir);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readLocalStackState(dataDir)).toEqual({
        databaseUrl: process.env['DATABASE_URL'],
        temporal: { address: stack.config.temporal.address, namespace: 'default', taskQueue: process.env['TEMPORAL_TASK_QUEUE'] },
        apiUrl: local!.apiUrl,
        launcherPid: process.pid,
        startedAt: expect.any(String),
      });

      // reconcile needs both: its run row in Postgres, its workflow on the stack's task queue
      // (run by the launcher's worker).
      const r = await runSwitchboard(['reconcile', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z', '--wait', '--json'], {
        env: cliEnv({ SWITCHBOARD_DATA_DIR: dataDir }),
      });
      const db = new URL(process.env['DATABASE_URL']!);
      expect(r.stderr).toContain(
        `using the local stack started by npm start (pid ${process.pid}, data dir ${dataDir}): postgres ${db.hostname}:${db.port}, temporal ${stack.config.temporal.address}\n`,
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', terminal_calls: 0, missing: 0 });
    });

    it('after a clean stop the file is gone, and the CLI says to run npm start or set DATABASE_URL / TEMPORAL_ADDRESS', async () => {
      await local!.stop();
      local = undefined;
      expect(existsSync(localStackStatePath(dataDir))).toBe(false);

      const r = await runSwitchboard(['deliveries', 'list'], { env: cliEnv({ SWITCHBOARD_DATA_DIR: dataDir }) });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `switchboard: no DATABASE_URL or TEMPORAL_ADDRESS set, and no local stack is running (${localStackStatePath(dataDir)} does not exist): ` +
          'run `npm start` (with the same SWITCHBOARD_DATA_DIR), or set DATABASE_URL and TEMPORAL_ADDRESS to reach a stack started elsewhere\n',
      );
    });
  });

  describe('from a build (npm run build): no src/, no tsx, as in the production image', () => {
    let pkg: string;

    beforeAll(async () => {
      pkg = mkdtempSync(path.join(os.tmpdir(), 'switchboard-built-'));
      await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', path.join(pkg, 'dist')], { cwd: ROOT });
      mkdirSync(path.join(pkg, 'bin'));
      copyFileSync(path.join(ROOT, 'bin/switchboard'), path.join(pkg, 'bin/switchboard'));
      copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
      // The checkout's packages without tsx, like the image's node_modules after `npm prune --omit=dev`.
      mkdirSync(path.join(pkg, 'node_modules'));
      for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
        if (entry !== 'tsx' && entry !== '.bin') symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(pkg, 'node_modules', entry));
      }
    }, 240_000);
    afterAll(() => rmSync(pkg, { recursive: true, force: true }));

    it('--help and an operator command work, with the same exit codes', async () => {
      expect(existsSync(path.join(pkg, 'src'))).toBe(false);
      const help = await runSwitchboard(['--help'], { cwd: pkg });
      expect(help).toMatchObject({ code: 0, stderr: '' });
      for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));

      const shown = await runSwitchboard(['events', 'show', eventId, '--json'], { cwd: pkg, env: stackEnv });
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: eventId });
      const missing = await runSwitchboard(['events', 'show', 'evt_nope'], { cwd: pkg, env: stackEnv });
      expect(missing).toMatchObject({ code: 2, stderr: 'switchboard: no event found for evt_nope\n' });
    });
  });
});
