/**
 * How much the API fuzz test fuzzes. The defaults keep the three runs (admin, partner, tenant)
 * within a few minutes on a 2-core CI machine; raise them locally to dig deeper, e.g.
 *   SWITCHBOARD_FUZZ_MAX_EXAMPLES=100 SWITCHBOARD_FUZZ_KEYS=tenant npx jest --runInBand test/fuzz
 * SWITCHBOARD_FUZZ_MAX_TIME (seconds per run), SWITCHBOARD_FUZZ_SEED and SWITCHBOARD_FUZZ_PATHS
 * (a regex of operation paths, e.g. '^/v1/webhooks') narrow or widen a run the same way.
 */
export const FUZZ_KEYS = ['admin', 'partner', 'tenant'] as const;
export type FuzzKey = (typeof FUZZ_KEYS)[number];

export interface FuzzSettings {
  /** Test cases per operation and phase (schemathesis --max-examples). */
  maxExamples: number;
  /** Optional time budget per run in seconds (--max-time); unset means "until the examples are done". */
  maxTimeSeconds?: number;
  /** Which keys to fuzz with; all three by default. */
  keys: FuzzKey[];
  /** The generation seed; fixed so every machine generates the same cases. */
  seed?: number;
  /** Only the operations whose path matches this regex (--include-path-regex), for local iteration. */
  pathRegex?: string;
}

function positiveInt(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function keys(): FuzzKey[] {
  const raw = process.env['SWITCHBOARD_FUZZ_KEYS'];
  if (!raw) return [...FUZZ_KEYS];
  const wanted = raw.split(',').map((k) => k.trim());
  const unknown = wanted.filter((k) => !(FUZZ_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`SWITCHBOARD_FUZZ_KEYS: unknown key(s) ${unknown.join(', ')} (use ${FUZZ_KEYS.join(',')})`);
  return wanted as FuzzKey[];
}

export function fuzzSettings(): FuzzSettings {
  return {
    maxExamples: positiveInt('SWITCHBOARD_FUZZ_MAX_EXAMPLES', 20)!,
    maxTimeSeconds: positiveInt('SWITCHBOARD_FUZZ_MAX_TIME', undefined),
    keys: keys(),
    seed: positiveInt('SWITCHBOARD_FUZZ_SEED', undefined),
    pathRegex: process.env['SWITCHBOARD_FUZZ_PATHS'] || undefined,
  };
}
