/**
 * The configuration of the full Temporal server in cluster mode, as data: one place that says
 * how many history shards, which stores, which ports and which dynamic config, rendered to the
 * files the server reads. docker-compose.yml describes the same server; the unit test
 * test/unit/dev/clusterCompose.test.ts holds the two together.
 */

/** More than one, so workflows spread over shards as on any real cluster (the dev server has 1). */
export const HISTORY_SHARDS = 4;

/** Temporal's own databases, next to Switchboard's in the same Postgres server. */
export const TEMPORAL_DATABASES = { main: 'temporal', visibility: 'temporal_visibility' } as const;

/** The schemas embedded in temporal-sql-tool that create and upgrade them. */
export const TEMPORAL_SCHEMAS = { main: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

/**
 * Dynamic config: what differs from the server's defaults, and why. Values are JSON scalars, which
 * YAML reads as they are.
 */
export const DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  // Task-queue priority (terminal events first under backlog) needs the priority matcher on 1.29;
  // the dev server gets the same value (temporalDevServer.ts).
  'matching.useNewMatcher': true,
  // The dev server's values for these two (the CLI sets them): a larger mutable-state cache than the
  // default 2048, and enough visibility RPS for the Web UI and the operator CLI's list queries.
  'history.hostLevelCacheMaxSize': 8192,
  'frontend.namespaceRPS.visibility': 100,
  // Worker Deployment versions (versioning v3), for operators who pin workflows to a build
  // (docs/operations.md); the APIs are on by default on 1.29, said here so the choice is visible.
  'system.enableDeploymentVersions': true,
};

export function renderDynamicConfig(values: Record<string, string | number | boolean> = DYNAMIC_CONFIG): string {
  const header = '# Generated from src/dev/cluster/serverConfig.ts (DYNAMIC_CONFIG); do not edit by hand.\n';
  return header + Object.entries(values).map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n    constraints: {}\n`).join('');
}

/**
 * The server's ports, all on loopback. By default derived from the frontend port the way
 * Temporal's own samples lay them out (7233 → history 7234, matching 7235, worker 7239, HTTP 7243,
 * membership 6933/6934/6935/6939), so TEMPORAL_PORT alone moves the whole set.
 */
export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

export function portsFromFrontend(frontend: number): ClusterPorts {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    frontendHttp: frontend + 10,
    frontendMembership: frontend - 300,
    historyMembership: frontend - 299,
    matchingMembership: frontend - 298,
    workerMembership: frontend - 294,
  };
}

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ServerConfigInput {
  postgres: PostgresEndpoint;
  ports: ClusterPorts;
  dynamicConfigFile: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

function sqlStore(database: string, pgEndpoint: PostgresEndpoint, maxConns: number): Record<string, unknown> {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${pgEndpoint.host}:${pgEndpoint.port}`,
      connectProtocol: 'tcp',
      user: pgEndpoint.user,
      password: pgEndpoint.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

function service(grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } };
}

/** The server's static config (development-postgres12.yaml's shape, trimmed to what we use). */
export function serverConfig(input: ServerConfigInput): Record<string, unknown> {
  const { ports, postgres } = input;
  return {
    log: { stdout: true, level: input.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': sqlStore(TEMPORAL_DATABASES.main, postgres, 20),
        'postgres-visibility': sqlStore(TEMPORAL_DATABASES.visibility, postgres, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** JSON is YAML: the server's config loader (yaml.v3) reads it as it is, and nothing can be mis-indented. */
export function renderServerConfig(input: ServerConfigInput): string {
  return JSON.stringify(serverConfig(input), null, 2) + '\n';
}
