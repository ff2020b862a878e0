import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../temporal/searchAttributes';
import type { ChildExit } from '../childProcess';
import { ServiceProcess } from '../serviceProcess';
import { renderDynamicConfig, renderServerConfig, type ClusterPorts, type PostgresEndpoint } from './serverConfig';

/**
 * The full Temporal server (`server start`: frontend, history, matching and worker services in
 * one process) on Postgres, as a supervised child of the launcher. Every start writes its config
 * from serverConfig.ts and, once the frontend answers, makes sure the namespace exists and the
 * project's search attributes are registered in it (idempotent: a restart finds both there).
 *
 * Like the dev server it is a supervised child (../serviceProcess.ts).
 */
export interface ClusterServerOptions {
  serverPath: string;
  /** Where its config files are written (under the data dir). */
  rootDir: string;
  ports: ClusterPorts;
  postgres: PostgresEndpoint;
  namespace: string;
  log: (line: string) => void;
}

/** How long closed workflows stay visible (the UI, `switchboard events show`, replay by id). */
const NAMESPACE_RETENTION_SECONDS = 3 * 86_400;
const CONFIG_ENV = 'switchboard';

export class TemporalClusterServer {
  private readonly service = new ServiceProcess();

  constructor(readonly options: ClusterServerOptions) {}

  get address(): string {
    return `127.0.0.1:${this.options.ports.frontend}`;
  }

  get pid(): number | undefined {
    return this.service.pid;
  }

  get exited(): Promise<ChildExit> {
    return this.service.exited;
  }

  /** The files the server reads: `<root>/config/switchboard.yaml` and the dynamic config next to it. */
  writeConfig(): void {
    const o = this.options;
    const configDir = path.join(o.rootDir, 'config');
    mkdirSync(configDir, { recursive: true });
    const dynamicConfigFile = path.join(o.rootDir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, renderDynamicConfig());
    // Mode 0600: it carries the Postgres password.
    writeFileSync(path.join(configDir, `${CONFIG_ENV}.yaml`), renderServerConfig({ postgres: o.postgres, ports: o.ports, dynamicConfigFile }), { mode: 0o600 });
  }

  async start(): Promise<void> {
    const o = this.options;
    assertMembershipPorts(o.ports);
    this.writeConfig();
    const args = ['--root', o.rootDir, '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'];
    await this.service.start({
      name: 'Temporal server',
      command: o.serverPath,
      args,
      // Its log goes to stdout (config `log.stdout`); at level warn that is little, and it is what
      // says why a start failed.
      captureStdout: true,
      ready: () => this.prepareNamespace(),
      readyWhat: `the Temporal server on ${this.address}`,
      readyTimeoutMs: 120_000,
      readyIntervalMs: 500,
      stopGraceMs: 20_000,
      log: o.log,
    });
    o.log(`Temporal server ready on ${this.address} (namespace ${o.namespace}, search attributes registered)`);
  }

  /** Throws until the frontend serves the namespace with every search attribute registered. */
  private async prepareNamespace(): Promise<void> {
    const { namespace } = this.options;
    const connection = await Connection.connect({ address: this.address, connectTimeout: 2_000 });
    try {
      await ensureNamespace(connection, namespace);
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

export class ClusterPortError extends Error {
  override name = 'ClusterPortError';
}

/** Temporal records membership ports in a smallint column (cluster_membership.rpc_port): above 32767 the server dies at start. */
function assertMembershipPorts(ports: ClusterPorts): void {
  const tooHigh = (['frontendMembership', 'historyMembership', 'matchingMembership', 'workerMembership'] as const).filter((k) => ports[k] > 32_767);
  if (tooHigh.length) {
    throw new ClusterPortError(`Temporal membership ports must be below 32768 (it stores them as smallint): ${tooHigh.map((k) => `${k}=${ports[k]}`).join(', ')}; choose a lower TEMPORAL_PORT`);
  }
}

function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;

async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch (err) {
    if (grpcCode(err) !== GRPC_NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_SECONDS * 1000) });
  } catch (err) {
    if (grpcCode(err) !== GRPC_ALREADY_EXISTS) throw err;
  }
  // Registered: the frontend's namespace cache picks it up within seconds; the caller retries.
  await connection.workflowService.describeNamespace({ namespace });
}

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (listed.customAttributes ?? {})));
  if (missing.length === 0) return;
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((k) => [k.name, keyword])) });
  throw new Error(`registered search attributes ${missing.map((k) => k.name).join(', ')}; waiting until the namespace lists them`);
}
