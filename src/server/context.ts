import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
import type { PartnerSecretCache } from '../ingest/partnerSecrets';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** What request handlers may use; built once per server process. */
export interface AppContext {
  config: Config;
  db: Kysely<Database>;
  temporal: Client;
  secretBox: SecretBox;
  logger: Logger;
  metrics: Metrics;
  /** Inbound (partner) signing secrets, shared by ingest and the rotation route. */
  partnerSecrets: PartnerSecretCache;
}
