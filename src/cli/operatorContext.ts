import pino from 'pino';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { ConfigError, type Config } from '../config';
import { connectDatabase, type DbHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { createLogger, type Logger } from '../logger';
import { connectClient } from '../temporal/connection';
import type { CliIO } from './io';
import { resolveOperatorTarget } from './operatorTarget';
import type { OperatorServices } from '../services';

/**
 * What operator commands run against: the server's own configuration (DATABASE_URL,
 * TEMPORAL_ADDRESS, …) or, when neither is set, the local stack `npm start` recorded in the data
 * dir (see operatorTarget.ts). Resolved and opened lazily, so `replay --file` needs neither
 * Postgres nor Temporal nor a running stack. Logs go to stderr, at the configured level.
 */
export class OperatorContext {
  private database?: DbHandle;
  private client?: Promise<Client>;
  private resolved?: Config;
  readonly logger: Logger;

  constructor(
    private readonly declared: Config,
    private readonly io: CliIO,
  ) {
    // Info lines (worker state changes during a replay, "redriven") would drown the command's
    // own output; the CLI logs warnings and errors unless debug/trace is asked for.
    const level = declared.logLevel === 'info' ? 'warn' : declared.logLevel;
    this.logger = createLogger(level, { component: 'cli' }, pino.destination(2));
  }

  /** The configuration the command talks to; the first use decides (and says) which stack that is. */
  get config(): Config {
    this.resolved ??= resolveOperatorTarget(this.declared, this.io);
    return this.resolved;
  }

  get db(): Kysely<Database> {
    if (!this.database) {
      const url = this.config.database.url;
      if (!url) throw new ConfigError('DATABASE_URL is required for this command (the same database the server uses)');
      this.database = connectDatabase(url, 2);
    }
    return this.database.db;
  }

  temporal(): Promise<Client> {
    this.client ??= connectClient(this.config.temporal);
    return this.client;
  }

  /** The shape the domain functions (redrive, quarantine review, reconciliation) take. */
  async domainDeps(): Promise<OperatorServices> {
    return { db: this.db, temporal: await this.temporal(), config: this.config, logger: this.logger };
  }

  async close(): Promise<void> {
    await this.database?.close();
    if (this.client) await this.client.then((c) => c.connection.close(), () => undefined);
  }
}

export interface CliEnvironment {
  io: CliIO;
  /** Builds the configuration; the real CLI reads the environment (src/config.ts). */
  loadConfig(): Config;
  /** Set once an operator command ran (main.ts then exits when it finishes). */
  operatorCommandRan?: boolean;
}

/** Runs one command body with a fresh context and always closes its connections. */
export async function withOperator<T>(env: CliEnvironment, body: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  env.operatorCommandRan = true;
  const ctx = new OperatorContext(env.loadConfig(), env.io);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}
