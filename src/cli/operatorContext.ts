import pino from 'pino';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { ConfigError, type Config } from '../config';
import { connectDatabase, type DbHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { createLogger, type Logger } from '../logger';
import { connectClient } from '../temporal/connection';

/**
 * What operator commands run against: the server's own configuration (DATABASE_URL,
 * TEMPORAL_ADDRESS, …), opened lazily so `replay --file` needs neither Postgres nor Temporal.
 * Logs go to stderr, at the configured level.
 */
export class OperatorContext {
  private database?: DbHandle;
  private client?: Promise<Client>;
  readonly logger: Logger;

  constructor(readonly config: Config) {
    // Info lines (worker state changes during a replay, "redriven") would drown the command's
    // own output; the CLI logs warnings and errors unless debug/trace is asked for.
    const level = config.logLevel === 'info' ? 'warn' : config.logLevel;
    this.logger = createLogger(level, { component: 'cli' }, pino.destination(2));
  }

  get db(): Kysely<Database> {
    if (!this.database) {
      if (!this.config.database.url) throw new ConfigError('DATABASE_URL is required for this command (the same database the server uses)');
      this.database = connectDatabase(this.config.database.url, 2);
    }
    return this.database.db;
  }

  temporal(): Promise<Client> {
    this.client ??= connectClient(this.config.temporal);
    return this.client;
  }

  /** The shape the domain functions (redrive, quarantine review, reconciliation) take. */
  async domainDeps() {
    return { db: this.db, temporal: await this.temporal(), config: this.config, logger: this.logger };
  }

  async close(): Promise<void> {
    await this.database?.close();
    if (this.client) await this.client.then((c) => c.connection.close(), () => undefined);
  }
}

export interface CliEnvironment {
  io: import('./io').CliIO;
  /** Builds the configuration; the real CLI reads the environment (src/config.ts). */
  loadConfig(): Config;
  /** Set once an operator command ran (main.ts then exits when it finishes). */
  operatorCommandRan?: boolean;
}

/** Runs one command body with a fresh context and always closes its connections. */
export async function withOperator<T>(env: CliEnvironment, body: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  env.operatorCommandRan = true;
  const ctx = new OperatorContext(env.loadConfig());
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}
