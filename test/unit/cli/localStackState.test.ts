import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../../src/config';
import type { CliIO } from '../../../src/cli/io';
import { operatorCliLines } from '../../../src/cli/operatorCliHint';
import { NoLocalStackError, resolveOperatorTarget } from '../../../src/cli/operatorTarget';
import {
  LocalStackStateError,
  localStackStatePath,
  processIsAlive,
  publishLocalStackState,
  readLocalStackState,
  removeLocalStackState,
  writeLocalStackState,
  type LocalStackState,
} from '../../../src/dev/localStackState';

const state = (over: Partial<LocalStackState> = {}): LocalStackState => ({
  databaseUrl: 'postgres://postgres:s3cret-pw@127.0.0.1:5433/switchboard',
  temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'switchboard' },
  apiUrl: 'http://127.0.0.1:3000',
  temporalUiUrl: 'http://127.0.0.1:8233',
  launcherPid: process.pid,
  startedAt: new Date().toISOString(),
  ...over,
});

const tempDataDir = () => mkdtempSync(path.join(os.tmpdir(), 'sb-state-'));

/** A pid that certainly belonged to a process which has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function capture(): CliIO & { text: () => string } {
  let err = '';
  return { out: () => undefined, err: (t) => void (err += t), errIsTTY: false, text: () => err };
}

/** A config as the CLI builds it from an environment without DATABASE_URL / TEMPORAL_ADDRESS. */
function bareConfig(dataDir: string, env: Record<string, string> = {}): Config {
  const c = loadConfig({ SWITCHBOARD_DATA_DIR: dataDir, ...env });
  return { ...c, database: { ...c.database, url: env['DATABASE_URL'] }, temporal: { ...c.temporal, address: env['TEMPORAL_ADDRESS'] } };
}

describe('local-stack.json: what npm start tells the operator CLI', () => {
  it('round-trips, readable by the owner only (the URL carries the Postgres password)', () => {
    const dir = tempDataDir();
    writeLocalStackState(dir, state());
    expect(readLocalStackState(dir)).toEqual(state({ startedAt: readLocalStackState(dir)!.startedAt }));
    expect(statSync(localStackStatePath(dir)).mode & 0o777).toBe(0o600);
  });

  it('is absent before a start and after a clean stop; a stop leaves another launcher\'s file alone', async () => {
    const dir = tempDataDir();
    expect(readLocalStackState(dir)).toBeUndefined();
    const remove = publishLocalStackState(dir, state());
    expect(readLocalStackState(dir)).toMatchObject({ launcherPid: process.pid });
    await remove();
    expect(readLocalStackState(dir)).toBeUndefined();

    writeLocalStackState(dir, state({ launcherPid: process.pid + 1 }));
    removeLocalStackState(dir);
    expect(readLocalStackState(dir)).toMatchObject({ launcherPid: process.pid + 1 });
  });

  it('refuses a file that is not JSON or not a state, naming the file and the field', () => {
    const dir = tempDataDir();
    writeFileSync(localStackStatePath(dir), '{not json');
    expect(() => readLocalStackState(dir)).toThrow(LocalStackStateError);
    writeFileSync(localStackStatePath(dir), JSON.stringify({ ...state(), launcherPid: 'one' }));
    expect(() => readLocalStackState(dir)).toThrow(/local-stack\.json is not a valid local stack state \(launcherPid: /);
  });

  it('tells a live launcher from a dead one', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(deadPid())).toBe(false);
  });
});

describe('which stack an operator command talks to', () => {
  it('DATABASE_URL / TEMPORAL_ADDRESS in the environment win: the state file is not even read', () => {
    const dir = tempDataDir();
    writeFileSync(localStackStatePath(dir), 'garbage');
    const io = capture();
    const config = bareConfig(dir, { DATABASE_URL: 'postgres://u:p@db.example:5432/sb', TEMPORAL_ADDRESS: 'temporal.example:7233' });
    expect(resolveOperatorTarget(config, io)).toBe(config);
    expect(io.text()).toBe('');
  });

  it('without them, uses the running local stack and says so on stderr, without the password', () => {
    const dir = tempDataDir();
    writeLocalStackState(dir, state({ temporal: { address: '127.0.0.1:7304', namespace: 'ns-local', taskQueue: 'tq-local' } }));
    const io = capture();
    const target = resolveOperatorTarget(bareConfig(dir), io);
    expect(target.database.url).toBe(state().databaseUrl);
    expect(target.temporal).toMatchObject({ address: '127.0.0.1:7304', namespace: 'ns-local', taskQueue: 'tq-local' });
    expect(io.text()).toBe(`using the local stack started by npm start (pid ${process.pid}, data dir ${dir}): postgres 127.0.0.1:5433, temporal 127.0.0.1:7304\n`);
    expect(io.text()).not.toContain('s3cret-pw');
  });

  it('no state file: a clear error saying to run npm start or set DATABASE_URL / TEMPORAL_ADDRESS', () => {
    const dir = tempDataDir();
    expect(() => resolveOperatorTarget(bareConfig(dir), capture())).toThrow(NoLocalStackError);
    expect(() => resolveOperatorTarget(bareConfig(dir), capture())).toThrow(
      `no DATABASE_URL or TEMPORAL_ADDRESS set, and no local stack is running (${localStackStatePath(dir)} does not exist): run \`npm start\``,
    );
  });

  it('a state file left by a launcher that died: the same advice, naming the dead pid', () => {
    const dir = tempDataDir();
    const pid = deadPid();
    writeLocalStackState(dir, state({ launcherPid: pid }));
    expect(() => resolveOperatorTarget(bareConfig(dir), capture())).toThrow(
      new RegExp(`is not running \\(its launcher, pid ${pid}, is gone: it did not stop cleanly\\): run \`npm start\`.*set DATABASE_URL and TEMPORAL_ADDRESS`),
    );
  });
});

describe('npm start banner: what a CLI elsewhere needs', () => {
  it('prints the variables to export, with non-default namespace and task queue', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:5433/switchboard', TEMPORAL_ADDRESS: '127.0.0.1:7233' });
    expect(operatorCliLines(c)).toEqual([
      '    Operator CLI   npx switchboard --help   (finds this stack through the data dir)',
      '    CLI elsewhere  export DATABASE_URL=postgres://postgres:pw@127.0.0.1:5433/switchboard TEMPORAL_ADDRESS=127.0.0.1:7233',
    ]);
    const custom = loadConfig({ DATABASE_URL: 'postgres://a b', TEMPORAL_ADDRESS: 'h:1', TEMPORAL_NAMESPACE: 'ns', TEMPORAL_TASK_QUEUE: 'q' });
    expect(operatorCliLines(custom)[1]).toBe("    CLI elsewhere  export DATABASE_URL='postgres://a b' TEMPORAL_ADDRESS=h:1 TEMPORAL_NAMESPACE=ns TEMPORAL_TASK_QUEUE=q");
  });
});
