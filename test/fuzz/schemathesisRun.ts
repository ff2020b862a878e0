import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FuzzKey, FuzzSettings } from './fuzzSettings';
import type { Schemathesis } from './schemathesisInstall';

const CONFIG_FILE = path.join(__dirname, 'schemathesis.toml');

/**
 * schemathesis.toml, plus schemathesis.<key>.toml when there is one: the exceptions that hold for
 * one key only (what the admin key must name that a partner key need not). schemathesis reads one
 * file and cannot tell the keys apart, so the run gets the two joined in its scratch directory.
 */
function configFileFor(key: FuzzKey, scratch: string): string {
  const perKey = path.join(__dirname, `schemathesis.${key}.toml`);
  if (!existsSync(perKey)) return CONFIG_FILE;
  const joined = path.join(scratch, 'schemathesis.toml');
  writeFileSync(joined, `${readFileSync(CONFIG_FILE, 'utf8')}\n# ---- ${path.basename(perKey)} ----\n${readFileSync(perKey, 'utf8')}`);
  return joined;
}

/** What one fuzz run sees: the key it authenticates with and the real ids it aims at. */
export interface FuzzTarget {
  openApiUrl: string;
  /** Which kind of key apiKey is: picks schemathesis.<key>.toml, if any. */
  key: FuzzKey;
  apiKey: string;
  partnerId: string;
  /** The partner's whsec_ inbound secret: ingest_signing.py signs schema-valid ingest cases with it. */
  inboundSecret: string;
  tenantId: string;
  endpointId: string;
  /** Aimed at by the DELETE operations only, so the ids above stay alive for the whole run. */
  spareTenantId: string;
  spareEndpointId: string;
  /** An inbound source of the partner, and a spare one for DELETE. */
  sourceId: string;
  spareSourceId: string;
}

export interface FuzzRun {
  exitCode: number | null;
  /** schemathesis' own report: per-check summary and, for each failure, a curl reproduction. */
  output: string;
  durationMs: number;
}

/**
 * Runs `schemathesis run` once against the target. Asynchronous on purpose: the API under test
 * is served from this same process, so blocking on the child would leave nobody to answer it.
 * It runs in a scratch directory so nothing it writes (reports, caches) lands in the clone.
 */
export async function runSchemathesis(st: Schemathesis, target: FuzzTarget, settings: FuzzSettings, signal?: AbortSignal): Promise<FuzzRun> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'switchboard-fuzz-'));
  const args = ['-m', 'schemathesis.cli', '--config-file', configFileFor(target.key, scratch), 'run', target.openApiUrl, '--no-color', '--max-examples', String(settings.maxExamples)];
  if (settings.maxTimeSeconds !== undefined) args.push('--max-time', String(settings.maxTimeSeconds));
  if (settings.seed !== undefined) args.push('--seed', String(settings.seed));
  if (settings.pathRegex !== undefined) args.push('--include-path-regex', settings.pathRegex);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SWITCHBOARD_FUZZ_KEY: target.apiKey,
    SWITCHBOARD_FUZZ_PARTNER_ID: target.partnerId,
    SWITCHBOARD_FUZZ_INBOUND_SECRET: target.inboundSecret,
    // Where schemathesis finds the hooks module named in schemathesis.toml.
    PYTHONPATH: __dirname,
    SWITCHBOARD_FUZZ_TENANT_ID: target.tenantId,
    SWITCHBOARD_FUZZ_ENDPOINT_ID: target.endpointId,
    SWITCHBOARD_FUZZ_SPARE_TENANT_ID: target.spareTenantId,
    SWITCHBOARD_FUZZ_SPARE_ENDPOINT_ID: target.spareEndpointId,
    SWITCHBOARD_FUZZ_SOURCE_ID: target.sourceId,
    SWITCHBOARD_FUZZ_SPARE_SOURCE_ID: target.spareSourceId,
    // Loopback only: no proxy may carry the fuzzer's traffic elsewhere.
    NO_PROXY: '*',
    no_proxy: '*',
    COLUMNS: '120',
  };
  const started = Date.now();
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
      const child = spawn(st.python, args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'], signal });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', (err) => (err.name === 'AbortError' ? undefined : reject(err)));
      child.on('close', (code) => resolve({ exitCode: code, output }));
    });
    return { exitCode, output, durationMs: Date.now() - started };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
