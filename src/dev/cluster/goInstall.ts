import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { childEnv } from '../../config';
import { processIsAlive } from '../localStackState';

/**
 * `go install pkg@version…` into a cache directory outside the clone, shared by every clone, CI
 * run and test on the machine. The binaries land in a staging directory that is renamed into
 * place only when the whole build succeeded, so an interrupted build never looks done. A lock
 * directory holding the builder's pid makes a second caller wait for the running build instead of
 * starting another one (a 7-minute Go build twice at once would take both cores for 15).
 *
 * GOFLAGS keep the binaries reproducible from the module proxy alone: -trimpath (no local paths
 * in them), -buildvcs=false (no VCS stamp), -mod=readonly (go.sum as published). `nice` leaves the
 * machine usable meanwhile.
 */
export interface GoInstallRequest {
  /** What is being built, for the progress lines. */
  label: string;
  /** `module/path/cmd@version` entries built in one `go install`. */
  packages: string[];
  /** The directory the binaries end up in (its existence with every binary in it means "built"). */
  targetDir: string;
  /** File names `go install` produces (the last path element of each package). */
  binaries: string[];
  log: (line: string) => void;
  progressEveryMs?: number;
}

export class GoBuildError extends Error {
  override name = 'GoBuildError';
}

export const REPRODUCIBLE_GOFLAGS = '-trimpath -buildvcs=false -mod=readonly';

export function isInstalled(targetDir: string, binaries: string[]): boolean {
  return binaries.every((b) => existsSync(path.join(targetDir, b)));
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Builds unless already built; waits for a build another process is running. */
export async function goInstall(request: GoInstallRequest): Promise<string> {
  const { targetDir, binaries, log, label } = request;
  if (isInstalled(targetDir, binaries)) return targetDir;
  const lockDir = `${targetDir}.lock`;
  mkdirSync(path.dirname(targetDir), { recursive: true });
  for (;;) {
    if (takeLock(lockDir)) break;
    log(`${label}: another process (pid ${lockHolder(lockDir)}) is building it; waiting…`);
    await waitForLockRelease(lockDir);
    if (isInstalled(targetDir, binaries)) return targetDir;
  }
  try {
    if (isInstalled(targetDir, binaries)) return targetDir;
    await build(request);
    return targetDir;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function takeLock(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = lockHolder(lockDir);
    // A lock whose builder is gone (killed mid-build) is stale: take it over.
    if (holder !== undefined && processIsAlive(holder)) return false;
    rmSync(lockDir, { recursive: true, force: true });
    return takeLock(lockDir);
  }
  writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
  return true;
}

function lockHolder(lockDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined; // just created, pid not written yet: treated as held below by the retry
  }
}

async function waitForLockRelease(lockDir: string): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 2_000));
    if (!existsSync(lockDir)) return;
    const holder = lockHolder(lockDir);
    if (holder !== undefined && !processIsAlive(holder)) return;
  }
}

async function build(request: GoInstallRequest): Promise<void> {
  const { label, packages, targetDir, binaries, log } = request;
  const staging = `${targetDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`building ${label} with Go (first time only; several minutes on two cores)…`);
  const started = Date.now();
  try {
    await runGoInstall(packages, staging, log, request.progressEveryMs ?? 15_000, started);
    const missing = binaries.filter((b) => !existsSync(path.join(staging, b)));
    if (missing.length) throw new GoBuildError(`go install built no ${missing.join(', ')} in ${staging}`);
    rmSync(targetDir, { recursive: true, force: true });
    renameSync(staging, targetDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`built ${label} into ${targetDir} in ${Math.round((Date.now() - started) / 1000)}s`);
}

function runGoInstall(packages: string[], gobin: string, log: (line: string) => void, progressEveryMs: number, started: number): Promise<void> {
  const niceAvailable = spawnSync('nice', ['true'], { stdio: 'ignore' }).status === 0;
  const [command, args] = niceAvailable ? ['nice', ['-n', '10', 'go', 'install', '-v', ...packages]] : ['go', ['install', '-v', ...packages]];
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      env: childEnv({ GOBIN: gobin, GOFLAGS: REPRODUCIBLE_GOFLAGS }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let compiled = 0;
    let tail = '';
    const progress = setInterval(() => {
      log(`  …still building: ${compiled} packages compiled, ${Math.round((Date.now() - started) / 1000)}s elapsed`);
    }, progressEveryMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      compiled += text.split('\n').filter((l) => l && !l.startsWith('go: ')).length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearInterval(progress);
      reject(new GoBuildError(`could not run go: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(progress);
      if (code === 0) resolve();
      else reject(new GoBuildError(`go install ${packages.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}
