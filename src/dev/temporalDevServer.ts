import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../temporal/searchAttributes';
import type { ChildExit } from './childProcess';
import { ServiceProcess } from './serviceProcess';

/**
 * Runs `temporal server start-dev` as a supervised child (./serviceProcess.ts): SQLite file under
 * the data dir (so histories survive a restart), Web UI on its own port, the project's search
 * attributes registered up front.
 */
export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  log: (line: string) => void;
  headless?: boolean;
}

export class TemporalDevServer {
  private readonly service = new ServiceProcess();

  constructor(readonly options: DevServerOptions) {}

  get address(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  get uiUrl(): string {
    return `http://127.0.0.1:${this.options.uiPort}`;
  }

  async start(): Promise<void> {
    const o = this.options;
    mkdirSync(path.dirname(o.dbFile), { recursive: true });
    const args = [
      'server',
      'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(o.port),
      '--db-filename', o.dbFile,
      '--namespace', o.namespace,
      '--log-level', 'warn',
      // Task-queue priority (terminal events first under backlog) needs the new matcher on 1.29.
      '--dynamic-config-value', 'matching.useNewMatcher=true',
      // WAL with synchronous=NORMAL: durable across a crash or kill -9 of the dev server (only an
      // OS crash can lose the last transactions) and about twice the throughput of the default
      // rollback journal with a full fsync per write (measured by bench/devServerThroughput.ts).
      '--sqlite-pragma', 'journal_mode=WAL',
      '--sqlite-pragma', 'synchronous=NORMAL',
      ...searchAttributeFlags().flatMap((f) => ['--search-attribute', f]),
    ];
    if (o.headless) args.push('--headless');
    else args.push('--ui-port', String(o.uiPort), '--ui-ip', '127.0.0.1');

    await this.service.start({
      name: 'Temporal dev server',
      command: o.cliPath,
      args,
      ready: () => this.ping(),
      readyWhat: `Temporal on ${this.address}`,
      readyTimeoutMs: 60_000,
      log: o.log,
    });
    o.log(`Temporal dev server ready on ${this.address}${o.headless ? '' : `, UI ${this.uiUrl}`}`);
  }

  private async ping(): Promise<void> {
    const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: this.options.namespace });
    } finally {
      await connection.close();
    }
  }

  get pid(): number | undefined {
    return this.service.pid;
  }

  /** Resolves when the server started last exits, whoever stopped or killed it. */
  get exited(): Promise<ChildExit> {
    return this.service.exited;
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}
