import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from './config';
import type { SecretBox } from './crypto/secretBox';
import type { Database } from './db/schema';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/**
 * What the stateful code of a process is given: built once per process (src/bootstrap.ts) and
 * passed down as one value, to the worker and from it to every activity.
 */
export interface Services {
  config: Config;
  db: Kysely<Database>;
  secretBox: SecretBox;
  logger: Logger;
  metrics: Metrics;
}

/**
 * What an operator action that starts workflows needs (redrive, quarantine release, a manual
 * reconciliation): the same from the server, the CLI and a reconciliation activity.
 */
export interface OperatorServices extends Pick<Services, 'config' | 'db' | 'logger'> {
  temporal: Client;
}
