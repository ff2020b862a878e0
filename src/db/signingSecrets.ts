import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from './schema';

/** Decrypted secrets still valid for `owner`, newest first (rotation keeps the old one a while). */
export async function activeSecrets(
  db: Kysely<Database>,
  box: SecretBox,
  ownerKind: 'partner' | 'endpoint',
  ownerId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('signing_secrets')
    .select(['secret_ciphertext'])
    .where('owner_kind', '=', ownerKind)
    .where('owner_id', '=', ownerId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => box.decrypt(r.secret_ciphertext));
}
