import { inTransaction } from '../db/inTransaction';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import { generateWebhookSecret } from '../signing/webhookSecret';
import type { SourceVerification } from './sourceSchemas';

type Db = Kysely<Database> | Transaction<Database>;

/** A fresh secret in the form the scheme expects: `whsec_…` where the key is base64, else a random token. */
export function generateSourceSecret(scheme: SourceVerification['scheme']): string {
  return scheme === 'standard_webhooks' || scheme === 'x_signature' ? generateWebhookSecret() : `sbsrc_${randomBytes(32).toString('base64url')}`;
}

export async function addSourceSecret(db: Db, box: SecretBox, sourceId: string, secret: string): Promise<void> {
  await db.insertInto('source_secrets').values({ id: newId('sec'), source_id: sourceId, secret_ciphertext: box.encrypt(secret) }).execute();
}

/** Decrypted secrets still valid, newest first (a rotation keeps the previous one for its grace period). */
export async function activeSourceSecrets(db: Db, box: SecretBox, sourceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('source_secrets')
    .select('secret_ciphertext')
    .where('source_id', '=', sourceId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => box.decrypt(r.secret_ciphertext));
}

/** The new secret becomes current; every older still-valid one expires after `graceMs`. */
export async function rotateSourceSecret(db: Kysely<Database>, box: SecretBox, sourceId: string, secret: string, graceMs: number): Promise<Date> {
  const previousExpiresAt = new Date(Date.now() + graceMs);
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable('source_secrets')
      .set({ expires_at: previousExpiresAt })
      .where('source_id', '=', sourceId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .execute();
    await addSourceSecret(trx, box, sourceId, secret);
  });
  return previousExpiresAt;
}
