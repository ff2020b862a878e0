import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildExit } from '../childProcess';
import { ServiceProcess } from '../serviceProcess';

/**
 * The Temporal Web UI for cluster mode: the UI server from its Go module
 * (github.com/temporalio/ui-server/v2, the same version the CLI embeds in `start-dev`), pointed at
 * the cluster's frontend. The CLI's dev-server UI cannot attach to another server, so this is the
 * production UI, as the `temporalio/ui` image runs it.
 */
export interface UiServerOptions {
  uiServerPath: string;
  rootDir: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  log: (line: string) => void;
}

const CONFIG_ENV = 'switchboard';

export function uiServerConfig(o: Pick<UiServerOptions, 'port' | 'temporalAddress' | 'namespace'>): Record<string, unknown> {
  return {
    temporalGrpcAddress: o.temporalAddress,
    host: '127.0.0.1',
    port: o.port,
    enableUi: true,
    defaultNamespace: o.namespace,
    notifyOnNewVersion: false,
    cors: { cookieInsecure: true, allowOrigins: [`http://127.0.0.1:${o.port}`, `http://localhost:${o.port}`] },
    auth: { enabled: false },
  };
}

export class TemporalUiServer {
  private readonly service = new ServiceProcess();

  constructor(readonly options: UiServerOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.service.pid;
  }

  get exited(): Promise<ChildExit> {
    return this.service.exited;
  }

  async start(): Promise<void> {
    const o = this.options;
    const configDir = path.join(o.rootDir, 'config');
    mkdirSync(configDir, { recursive: true });
    // JSON is YAML: the UI server's loader (yaml.v3) reads it as it is.
    writeFileSync(path.join(configDir, `${CONFIG_ENV}.yaml`), JSON.stringify(uiServerConfig(o), null, 2) + '\n');
    await this.service.start({
      name: 'Temporal UI server',
      command: o.uiServerPath,
      args: ['--root', o.rootDir, '--config', 'config', '--env', CONFIG_ENV, 'start'],
      ready: () => this.ping(),
      readyWhat: `the Temporal UI on ${this.url}`,
      readyTimeoutMs: 60_000,
      log: o.log,
    });
    o.log(`Temporal UI ready on ${this.url}`);
  }

  private async ping(): Promise<void> {
    const res = await fetch(`${this.url}/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`UI answered ${res.status}`);
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}
