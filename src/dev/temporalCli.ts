import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { childEnv, defaultCacheDir } from '../config';

/**
 * Finds (or builds) the `temporal` CLI that hosts the local dev server and its Web UI.
 *
 * Order: TEMPORAL_CLI_PATH > `temporal` on PATH > a cached Go build > a fresh Go build (when Go is
 * installed) > null, meaning "let the SDK download it" (needs internet).
 *
 * v1.5.1 is pinned because it is the newest CLI tag that `go install` accepts as-is (server 1.29,
 * UI 2.42); from v1.6.0 the CLI's go.mod carries a `replace` directive, which `go install pkg@ver`
 * refuses. The build lands outside the clone, so fresh clones (CI) reuse it.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function cachedCliPath(cacheDir = defaultCacheDir()): string {
  return path.join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

function onPath(binary: string): string | undefined {
  const res = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const found = res.stdout.trim();
  return res.status === 0 && found ? found : undefined;
}

export type CliSource = 'env' | 'path' | 'cache' | 'built';

export async function resolveTemporalCli(
  explicitPath: string | undefined,
  log: (line: string) => void,
): Promise<{ path: string; source: CliSource } | null> {
  if (explicitPath) {
    if (!existsSync(explicitPath)) throw new Error(`TEMPORAL_CLI_PATH=${explicitPath} does not exist`);
    return { path: explicitPath, source: 'env' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'path' };
  const cached = cachedCliPath();
  if (existsSync(cached)) return { path: cached, source: 'cache' };
  if (!onPath('go')) return null;
  await buildTemporalCli(log);
  return { path: cached, source: 'built' };
}

/** `go install` into a temp dir, then an atomic rename, so an interrupted build never looks done. */
export async function buildTemporalCli(log: (line: string) => void): Promise<string> {
  const target = cachedCliPath();
  const dir = path.dirname(target);
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first time only; several minutes)…`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', '-v', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: childEnv({ GOBIN: staging }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    const progress = setInterval(() => {
      log(`  …still building: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)}s elapsed`);
    }, 15_000);
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      packages += text.split('\n').filter((l) => l && !l.startsWith('go: ')).length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearInterval(progress);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(progress);
      if (code === 0) resolve();
      else reject(new Error(`go install ${MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${code}):\n${tail}`));
    });
  });
  mkdirSync(dir, { recursive: true });
  renameSync(path.join(staging, 'temporal'), target);
  rmSync(staging, { recursive: true, force: true });
  log(`built ${target} in ${Math.round((Date.now() - started) / 1000)}s`);
  return target;
}
