import type { Config } from './config';
import { ConfigError } from './config';
import { SecretBox } from './crypto/secretBox';
import { connectDatabase, type DbHandle } from './db/connect';
import { describeConnectionLoss } from './db/connectionLoss';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { isShuttingDown } from './shutdownState';

/** The stateless building blocks every process (server, worker, CLI) starts from. */
export interface CoreServices {
  config: Config;
  database: DbHandle;
  secretBox: SecretBox;
  logger: Logger;
  metrics: Metrics;
}

export function createCoreServices(config: Config, component: string): CoreServices {
  if (!config.database.url) throw new ConfigError('DATABASE_URL is required (npm start provides one for local runs)');
  if (!config.encryptionKey) throw new ConfigError('SWITCHBOARD_ENCRYPTION_KEY is required (32 bytes, base64)');
  const logger = createLogger(config.logLevel, { component });
  const database = connectDatabase(
    config.database.url,
    config.database.poolSize,
    (err) => {
      const code = (err as { code?: string }).code;
      const report = describeConnectionLoss({ code }, isShuttingDown());
      logger[report.level]({ error: err.message, code }, report.message);
    },
    config.database.preparedStatements,
  );
  return { config, database, secretBox: new SecretBox(config.encryptionKey), logger, metrics: createMetrics() };
}
