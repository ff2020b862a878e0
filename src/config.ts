import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MIN_RETENTION_MS } from './domain/retentionPlan';

/**
 * The one place that reads the environment. Every other module receives a typed `Config`
 * (or a slice of it), so tests and the local launcher can build one explicitly.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Durations accept plain milliseconds or a number with a unit: 500ms, 5s, 10m, 2h, 1d. */
export function parseDurationMs(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${JSON.stringify(value)} (use e.g. 500ms, 5s, 10m, 2h, 1d)`);
  const n = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * factor);
}

const duration = z.string().transform((v, ctx) => {
  try {
    return parseDurationMs(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const positiveDuration = duration.refine((ms) => ms > 0, 'must be above zero');

const int = (min: number) => z.coerce.number().int().min(min);

const EnvSchema = z.object({
  PORT: int(0).default(3000),
  HOST: z.string().default('0.0.0.0'),
  SWITCHBOARD_PUBLIC_URL: z.string().url().optional(),
  SWITCHBOARD_TEMPORAL_UI_URL: z.string().url().optional(),
  HTTP_HEADERS_TIMEOUT: positiveDuration.default(10_000),
  HTTP_REQUEST_TIMEOUT: positiveDuration.default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT: positiveDuration.default(65_000),
  TRUSTED_PROXIES: z.string().default('loopback, linklocal, uniquelocal'),
  SWITCHBOARD_DATA_DIR: z.string().default('.data'),
  SWITCHBOARD_ADMIN_KEY: z.string().min(24, 'SWITCHBOARD_ADMIN_KEY must be at least 24 characters').optional(),
  SWITCHBOARD_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'SWITCHBOARD_ENCRYPTION_KEY must be 32 bytes, base64-encoded')
    .optional(),
  SWITCHBOARD_ALLOW_PRIVATE_NETWORK: bool.default(false),

  DATABASE_URL: z.string().optional(),
  EMBEDDED_POSTGRES_PORT: int(0).default(5433),
  DATABASE_POOL_SIZE: int(1).default(10),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),

  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('switchboard'),
  TEMPORAL_PORT: int(0).default(7233),
  TEMPORAL_UI_PORT: int(0).default(8233),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // OpenTelemetry tracing (src/telemetry/, docs/operations.md "Tracing"): off unless an OTLP/HTTP
  // endpoint is set, and then the SDK is loaded at all. The names are OTel's own conventions.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('switchboard'),
  WORKER_METRICS_PORT: int(0).default(9464),
  WORKER_SDK_METRICS_PORT: int(1).optional(),
  // V8's --optimize-for-size in the worker process (src/temporal/workerHeap.ts).
  WORKER_OPTIMIZE_FOR_SIZE: bool.default(true),

  INGEST_MAX_BODY_BYTES: int(1024).default(1024 * 1024),
  INGEST_SIGNATURE_TOLERANCE: duration.default(5 * 60_000),
  INGEST_RATE_PER_SECOND: int(1).default(1000),
  INGEST_RATE_BURST: int(1).default(2000),
  INGEST_MAX_OUTBOX_DEPTH: int(1).default(50_000),
  INGEST_MAX_INFLIGHT_STARTS: int(1).default(32),
  INGEST_WRITE_CONCURRENCY: int(1).default(4),
  INGEST_WRITE_MAX_BATCH: int(1).default(100),
  OUTBOX_SWEEP_INTERVAL: duration.default(2_000),

  DELIVERY_TIMEOUT: duration.default(10_000),
  DELIVERY_INLINE_ATTEMPTS: int(0).default(32),
  DELIVERY_MAX_ATTEMPTS: int(1).default(8),
  DELIVERY_INITIAL_INTERVAL: duration.default(5_000),
  DELIVERY_BACKOFF_COEFFICIENT: z.coerce.number().min(1).default(6),
  DELIVERY_MAX_INTERVAL: duration.default(10 * 3_600_000),
  // The circuit breaker (docs/delivery.md "Circuit breaker"). It opens on a failure RATE judged
  // over a full window, so a burst of first attempts failing together (a flapping endpoint looks
  // like a dead one for its first seconds) does not open it: the window must be longer than the
  // retry schedule's way to the attempts a flapping endpoint takes (5 s + 30 s by default). 90 %:
  // an endpoint failing each message's first two tries runs at 67 % (more while its first retries
  // are under way), and a pause never helps it; the breaker is for endpoints down or nearly so.
  CIRCUIT_FAILURE_RATE: z.coerce.number().gt(0).max(1).default(0.9),
  CIRCUIT_MIN_ATTEMPTS: int(1).default(10),
  CIRCUIT_WINDOW: positiveDuration.default(60_000),
  // Optional: a run this long with not one success opens it at once, window or not (0: off). Off
  // by default: a flapping endpoint with a few dozen messages in flight makes such a run too.
  CIRCUIT_FAILURE_THRESHOLD: int(0).default(0),
  CIRCUIT_OPEN_DURATION: duration.default(60_000),
  CIRCUIT_HALF_OPEN_PROBES: int(1).default(3),
  ENDPOINT_DISABLE_AFTER: duration.default(5 * 86_400_000),
  TENANT_RESOLUTION_WAIT: duration.default(10 * 60_000),
  TENANT_RESOLUTION_POLL: duration.default(30_000),

  RECONCILIATION_CRON: z.string().default('0 3 * * *'),
  RECONCILIATION_TIMEZONE: z.string().default('UTC'),
  RECONCILIATION_LAG: duration.default(2 * 3_600_000),
  RECONCILIATION_THRESHOLD: z.coerce.number().min(0).max(1).default(0.01),
  RECONCILIATION_CATCHUP_WINDOW: duration.default(2 * 86_400_000),
  RECONCILIATION_SCHEDULE_ID: z.string().min(1).default('switchboard-reconciliation'),
  RECONCILIATION_PAGE_SIZE: int(1).default(500),
  RECONCILIATION_PAGES_PER_RUN: int(1).default(100),
  // A bare number is milliseconds: RETENTION=30 would purge everything but the last 30 ms of
  // receipts, so anything under an hour is refused as a probable typo.
  RETENTION: duration.default(30 * 86_400_000).refine((ms) => ms >= MIN_RETENTION_MS, 'RETENTION must be at least 1h (e.g. 30d)'),
  RETENTION_CRON: z.string().default('30 4 * * *'),
  RETENTION_TIMEZONE: z.string().default('UTC'),
  RETENTION_SCHEDULE_ID: z.string().min(1).default('switchboard-retention'),
  RETENTION_BATCH_SIZE: int(1).default(5_000),
  RETENTION_BATCHES_PER_RUN: int(1).default(100),
  SECRET_ROTATION_GRACE: duration.default(24 * 3_600_000),
}).refine((e) => e.HTTP_HEADERS_TIMEOUT <= e.HTTP_REQUEST_TIMEOUT, {
  path: ['HTTP_HEADERS_TIMEOUT'],
  message: 'HTTP_HEADERS_TIMEOUT must not exceed HTTP_REQUEST_TIMEOUT (the headers are part of the request)',
});

export type RawEnv = z.input<typeof EnvSchema>;

export interface Config {
  http: {
    port: number;
    host: string;
    publicUrl?: string;
    /** The Temporal Web UI the console links workflows to (absent: no links). */
    temporalUiUrl?: string;
    /** A request's headers must arrive within this (slow-header clients are cut off: 408). */
    headersTimeoutMs: number;
    /** The whole request, body included, must arrive within this (408, connection closed). */
    requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this; longer than load balancers' idle timeouts. */
    keepAliveTimeoutMs: number;
    /**
     * Proxies whose X-Forwarded-For is believed (Express `trust proxy`: names, addresses, CIDRs);
     * `none`: only the socket's peer counts. The client address ingest logs and source IP
     * allowlists check.
     */
    trustedProxies: string | false;
  };
  dataDir: string;
  adminKey?: string;
  encryptionKey?: string;
  allowPrivateNetwork: boolean;
  database: { url?: string; poolSize: number; preparedStatements: boolean; embeddedPort: number };
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    port: number;
    uiPort: number;
    cliPath?: string;
    tls: boolean;
    tlsCertPath?: string;
    tlsKeyPath?: string;
    tlsCaPath?: string;
    tlsServerName?: string;
    apiKey?: string;
  };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** OTLP/HTTP (JSON) trace export; absent `tracesUrl`: tracing off and its SDK never loaded. */
  telemetry: { tracesUrl?: string; serviceName: string };
  /** The worker's /metrics (Switchboard metrics and, merged in, the Temporal SDK's); 0 = off. */
  workerMetricsPort: number;
  /** Loopback port of the SDK's own Prometheus exporter, merged into the worker's /metrics. */
  workerSdkMetricsPort: number;
  /** Collect the worker's heaps eagerly (V8 --optimize-for-size): see src/temporal/workerHeap.ts. */
  workerOptimizeForSize: boolean;
  ingest: {
    maxBodyBytes: number;
    signatureToleranceMs: number;
    ratePerSecond: number;
    rateBurst: number;
    maxOutboxDepth: number;
    maxInflightStarts: number;
    outboxSweepIntervalMs: number;
    /** Ingest statements in flight at once per server; events arriving meanwhile share the next one. */
    writeConcurrency: number;
    /** Most events one ingest statement stores. */
    writeMaxBatch: number;
  };
  delivery: {
    timeoutMs: number;
    /** First attempts a worker makes at once inside the event workflow's task (local activity); 0 = never. */
    inlineAttempts: number;
    maxAttempts: number;
    initialIntervalMs: number;
    backoffCoefficient: number;
    maxIntervalMs: number;
    /** Failure rate (0..1) over a full window that opens an endpoint's circuit. */
    circuitFailureRate: number;
    /** Attempts a window must hold before its failure rate can open the circuit. */
    circuitMinAttempts: number;
    circuitWindowMs: number;
    /** Consecutive failures that open the circuit at once; 0: off (the window's rate alone). */
    circuitFailureThreshold: number;
    circuitOpenMs: number;
    /** Probes a half-open circuit lets through; it re-opens only when that many failed. */
    circuitHalfOpenProbes: number;
    disableAfterMs: number;
    tenantResolutionWaitMs: number;
    tenantResolutionPollMs: number;
  };
  reconciliation: {
    cron: string;
    timezone: string;
    lagMs: number;
    threshold: number;
    catchupWindowMs: number;
    scheduleId: string;
    /** Terminal calls compared per activity. */
    pageSize: number;
    /** Pages per workflow run before continue-as-new (keeps each history small). */
    pagesPerRun: number;
  };
  retention: {
    /** Receipts, attempts, checkpoints and reconciliation outcomes older than this are purged. */
    windowMs: number;
    cron: string;
    timezone: string;
    scheduleId: string;
    /** Rows deleted per activity call (one short statement, one short lock footprint). */
    batchSize: number;
    /** Batches per workflow run before continue-as-new (keeps each history small). */
    batchesPerRun: number;
  };
  /** How long a rotated-out partner or endpoint signing secret keeps verifying/signing. */
  secretRotationGraceMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the environment, with `overrides` taking precedence (the local launcher and tests use them
 * to inject generated keys and ports without mutating process.env).
 */
// eslint-disable-next-line max-lines-per-function -- one assignment per setting, in the order of the README table that test/unit/readmeConfig.test.ts keeps true
export function loadConfig(overrides: Partial<Record<keyof RawEnv, string | undefined>> = {}): Config {
  const source: Record<string, string | undefined> = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) source[k] = v;
  // Empty strings in env files mean "unset", not "the empty value".
  for (const k of Object.keys(source)) if (source[k] === '') delete source[k];

  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      publicUrl: e.SWITCHBOARD_PUBLIC_URL,
      temporalUiUrl: e.SWITCHBOARD_TEMPORAL_UI_URL,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT,
      trustedProxies: ['', 'none', 'false'].includes(e.TRUSTED_PROXIES.trim()) ? false : e.TRUSTED_PROXIES,
    },
    dataDir: path.resolve(e.SWITCHBOARD_DATA_DIR),
    adminKey: e.SWITCHBOARD_ADMIN_KEY,
    encryptionKey: e.SWITCHBOARD_ENCRYPTION_KEY,
    allowPrivateNetwork: e.SWITCHBOARD_ALLOW_PRIVATE_NETWORK,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, preparedStatements: e.DATABASE_PREPARED_STATEMENTS, embeddedPort: e.EMBEDDED_POSTGRES_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
      tls: e.TEMPORAL_TLS,
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      tlsCaPath: e.TEMPORAL_TLS_CA_PATH,
      tlsServerName: e.TEMPORAL_TLS_SERVER_NAME,
      apiKey: e.TEMPORAL_API_KEY,
    },
    logLevel: e.LOG_LEVEL,
    telemetry: { tracesUrl: otlpTracesUrl(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.OTEL_EXPORTER_OTLP_ENDPOINT), serviceName: e.OTEL_SERVICE_NAME },
    workerMetricsPort: e.WORKER_METRICS_PORT,
    workerSdkMetricsPort: e.WORKER_SDK_METRICS_PORT ?? e.WORKER_METRICS_PORT + 1,
    workerOptimizeForSize: e.WORKER_OPTIMIZE_FOR_SIZE,
    ingest: {
      maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
      signatureToleranceMs: e.INGEST_SIGNATURE_TOLERANCE,
      ratePerSecond: e.INGEST_RATE_PER_SECOND,
      rateBurst: e.INGEST_RATE_BURST,
      maxOutboxDepth: e.INGEST_MAX_OUTBOX_DEPTH,
      maxInflightStarts: e.INGEST_MAX_INFLIGHT_STARTS,
      outboxSweepIntervalMs: e.OUTBOX_SWEEP_INTERVAL,
      writeConcurrency: e.INGEST_WRITE_CONCURRENCY,
      writeMaxBatch: e.INGEST_WRITE_MAX_BATCH,
    },
    delivery: {
      timeoutMs: e.DELIVERY_TIMEOUT,
      inlineAttempts: e.DELIVERY_INLINE_ATTEMPTS,
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      initialIntervalMs: e.DELIVERY_INITIAL_INTERVAL,
      backoffCoefficient: e.DELIVERY_BACKOFF_COEFFICIENT,
      maxIntervalMs: e.DELIVERY_MAX_INTERVAL,
      circuitFailureRate: e.CIRCUIT_FAILURE_RATE,
      circuitMinAttempts: e.CIRCUIT_MIN_ATTEMPTS,
      circuitWindowMs: e.CIRCUIT_WINDOW,
      circuitFailureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
      circuitOpenMs: e.CIRCUIT_OPEN_DURATION,
      circuitHalfOpenProbes: e.CIRCUIT_HALF_OPEN_PROBES,
      disableAfterMs: e.ENDPOINT_DISABLE_AFTER,
      tenantResolutionWaitMs: e.TENANT_RESOLUTION_WAIT,
      tenantResolutionPollMs: e.TENANT_RESOLUTION_POLL,
    },
    reconciliation: {
      cron: e.RECONCILIATION_CRON,
      timezone: e.RECONCILIATION_TIMEZONE,
      lagMs: e.RECONCILIATION_LAG,
      threshold: e.RECONCILIATION_THRESHOLD,
      catchupWindowMs: e.RECONCILIATION_CATCHUP_WINDOW,
      scheduleId: e.RECONCILIATION_SCHEDULE_ID,
      pageSize: e.RECONCILIATION_PAGE_SIZE,
      pagesPerRun: e.RECONCILIATION_PAGES_PER_RUN,
    },
    retention: {
      windowMs: e.RETENTION,
      cron: e.RETENTION_CRON,
      timezone: e.RETENTION_TIMEZONE,
      scheduleId: e.RETENTION_SCHEDULE_ID,
      batchSize: e.RETENTION_BATCH_SIZE,
      batchesPerRun: e.RETENTION_BATCHES_PER_RUN,
    },
    secretRotationGraceMs: e.SECRET_ROTATION_GRACE,
  };
}

/** Where builds shared across clones live (the Temporal CLI): outside the work tree on purpose. */
/** OTel's rule: the signal-specific endpoint is used as is; the general one gets `/v1/traces` appended. */
function otlpTracesUrl(tracesEndpoint: string | undefined, endpoint: string | undefined): string | undefined {
  if (tracesEndpoint) return tracesEndpoint;
  return endpoint ? `${endpoint.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export function defaultCacheDir(): string {
  const explicit = process.env['SWITCHBOARD_CACHE_DIR'];
  if (explicit) return path.resolve(explicit);
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg ? xdg : path.join(os.homedir(), '.cache'), 'switchboard');
}

/** The environment handed to child processes (Go build, dev servers), plus extra variables. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
