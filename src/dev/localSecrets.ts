import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../crypto/apiKeys';
import { generateEncryptionKey } from '../crypto/secretBox';

/**
 * Secrets the local stack generates once and keeps in the data dir (mode 0600), so a restart
 * keeps the same admin key, the same encryption key (stored secrets stay readable) and the same
 * Postgres password.
 */
export interface LocalSecrets {
  adminKey: string;
  encryptionKey: string;
  postgresPassword: string;
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    adminKey: generateApiKey('admin').key,
    encryptionKey: generateEncryptionKey(),
    postgresPassword: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}
