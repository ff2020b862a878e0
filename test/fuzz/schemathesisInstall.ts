import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { childEnv, defaultCacheDir } from '../../src/config';

/**
 * Provisions schemathesis (the OpenAPI fuzzer, from PyPI) into a Python venv outside the clone:
 * ~/.cache/switchboard/schemathesis-<version>-<pins hash>/ (SWITCHBOARD_CACHE_DIR moves it), so
 * fresh clones and CI reuse it and nothing Python lands in the work tree.
 *
 * Every package is pinned in requirements.txt beside this file; the directory name carries a hash
 * of that file, so changing any pin provisions a new venv instead of trusting a stale one.
 *
 * Like the Temporal CLI build, the venv is built under a `.partial-<pid>` name and renamed when
 * complete, so an interrupted install never looks done. A venv survives the rename because its
 * interpreter finds its prefix through pyvenv.cfg next to it; only the console scripts' shebangs
 * would point at the old path, which is why the fuzzer runs as `python -m schemathesis.cli`.
 */

const REQUIREMENTS = path.join(__dirname, 'requirements.txt');

export class SchemathesisInstallError extends Error {
  override name = 'SchemathesisInstallError';
}

export interface Schemathesis {
  version: string;
  /** The venv's interpreter; run the fuzzer as `<python> -m schemathesis.cli run …`. */
  python: string;
  source: 'cache' | 'installed';
}

export function pinnedSchemathesisVersion(requirements = readFileSync(REQUIREMENTS, 'utf8')): string {
  const match = /^schemathesis==(\S+)$/m.exec(requirements);
  if (!match) throw new SchemathesisInstallError(`${REQUIREMENTS} does not pin schemathesis==<version>`);
  return match[1]!;
}

export function schemathesisVenvDir(cacheDir = defaultCacheDir()): string {
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  const pins = createHash('sha256').update(requirements).digest('hex').slice(0, 8);
  return path.join(cacheDir, `schemathesis-${pinnedSchemathesisVersion(requirements)}-${pins}`);
}

const venvPython = (venv: string) => path.join(venv, 'bin', 'python');

/** The cached venv, or a fresh install of the pinned packages (a minute or two, needs PyPI). */
export async function resolveSchemathesis(log: (line: string) => void): Promise<Schemathesis> {
  const venv = schemathesisVenvDir();
  const version = pinnedSchemathesisVersion();
  if (existsSync(venvPython(venv))) return { version, python: venvPython(venv), source: 'cache' };
  await installSchemathesis(venv, version, log);
  return { version, python: venvPython(venv), source: 'installed' };
}

async function installSchemathesis(venv: string, version: string, log: (line: string) => void): Promise<void> {
  const python = findPython3();
  const staging = `${venv}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.dirname(venv), { recursive: true });
  const started = Date.now();
  log(`installing schemathesis ${version} from PyPI into ${venv} (first time only; a minute or two)…`);
  try {
    createVenv(python, staging);
    await runLogged(venvPython(staging), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', REQUIREMENTS], log, started);
    checkInstalledVersion(venvPython(staging), version);
    publishVenv(staging, venv);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  log(`installed schemathesis ${version} in ${Math.round((Date.now() - started) / 1000)}s`);
}

function findPython3(): string {
  const res = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    throw new SchemathesisInstallError(
      'python3 is needed to install schemathesis (the API fuzzer) and was not found on PATH: install Python 3.9+ (Debian: apt-get install python3 python3-venv)',
    );
  }
  return 'python3';
}

function createVenv(python: string, dir: string): void {
  const res = spawnSync(python, ['-m', 'venv', dir], { encoding: 'utf8' });
  if (res.status === 0) return;
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  // Debian's python3 ships without ensurepip; its venv module then fails with this hint.
  const hint = /ensurepip|python3-venv/.test(output) ? ' (Debian/Ubuntu: apt-get install python3-venv)' : '';
  throw new SchemathesisInstallError(`${python} -m venv ${dir} failed${hint}:\n${output}`);
}

function checkInstalledVersion(python: string, version: string): void {
  const res = spawnSync(python, ['-m', 'schemathesis.cli', '--version'], { encoding: 'utf8' });
  if (res.status !== 0 || !res.stdout.includes(version)) {
    throw new SchemathesisInstallError(`the installed schemathesis does not report version ${version}:\n${res.stdout}${res.stderr}`);
  }
}

/** Another process may have published the same pins meanwhile; theirs is as good as ours. */
function publishVenv(staging: string, venv: string): void {
  if (existsSync(venvPython(venv))) {
    rmSync(staging, { recursive: true, force: true });
    return;
  }
  renameSync(staging, venv);
}

function runLogged(command: string, args: string[], log: (line: string) => void, started: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let lastLine = '';
    const progress = setInterval(() => {
      log(`  …still installing (${Math.round((Date.now() - started) / 1000)}s): ${lastLine}`);
    }, 15_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      const lines = text.split('\n').filter((l) => l.trim());
      if (lines.length) lastLine = lines[lines.length - 1]!.trim().slice(0, 120);
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
      else reject(new SchemathesisInstallError(`${path.basename(command)} ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}
