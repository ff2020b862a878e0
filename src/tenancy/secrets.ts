import { sql, type Kysely, type Transaction } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import { generateWebhookSecret } from '../signing/webhookSecret';

type Db = Kysely<Database> | Transaction<Database>;

/** Adds a fresh signing secret for a partner or endpoint; returns the plaintext (shown once). */
export async function addSigningSecret(db: Db, box: SecretBox, ownerKind: 'partner' | 'endpoint', ownerId: string): Promise<string> {
  const secret = generateWebhookSecret();
  await db
    .insertInto('signing_secrets')
    .values({ id: newId('sec'), owner_kind: ownerKind, owner_id: ownerId, secret_ciphertext: box.encrypt(secret) })
    .execute();
  return secret;
}

/**
 * Rotation: a new secret becomes current; every older still-valid one expires after `graceMs`
 * (both sign/verify meanwhile, as Standard Webhooks allows several signatures).
 */
export async function rotateSigningSecret(
  db: Kysely<Database>,
  box: SecretBox,
  ownerKind: 'partner' | 'endpoint',
  ownerId: string,
  graceMs: number,
): Promise<{ secret: string; previousExpiresAt: Date }> {
  const previousExpiresAt = new Date(Date.now() + graceMs);
  const secret = await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('signing_secrets')
      .set({ expires_at: previousExpiresAt })
      .where('owner_kind', '=', ownerKind)
      .where('owner_id', '=', ownerId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .execute();
    return addSigningSecret(trx, box, ownerKind, ownerId);
  });
  return { secret, previousExpiresAt };
}
