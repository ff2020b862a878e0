import type { Kysely } from 'kysely';
import type { Config } from '../src/config';
import type { SecretBox } from '../src/crypto/secretBox';
import type { Database } from '../src/db/schema';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';

/** What every activity may use. Built once per worker process in src/temporal/worker.ts. */
export interface ActivityDeps {
  db: Kysely<Database>;
  secretBox: SecretBox;
  config: Config;
  logger: Logger;
  metrics: Metrics;
}
