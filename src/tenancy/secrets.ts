import { inTransaction } from '../db/inTransaction';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import { generateEd25519SigningKey } from '../signing/ed25519Keys';
import { generateWebhookSecret } from '../signing/webhookSecret';

type Db = Kysely<Database> | Transaction<Database>;

/** `v1`: an HMAC whsec_ secret; `v1a`: an Ed25519 whsk_ key whose whpk_ public half is shown. */
export type SignatureScheme = 'v1' | 'v1a';

/** What the owner is shown once: the whsec_ secret, or (v1a) only the whpk_ public key. */
export interface NewSigningKey {
  secret?: string;
  publicKey?: string;
}

/** Adds a fresh signing secret (or Ed25519 key) for a partner or endpoint. */
export async function addSigningSecret(
  db: Db,
  box: SecretBox,
  ownerKind: 'partner' | 'endpoint',
  ownerId: string,
  scheme: SignatureScheme = 'v1',
): Promise<NewSigningKey> {
  const key = scheme === 'v1a' ? generateEd25519SigningKey() : { signingKey: generateWebhookSecret(), publicKey: null };
  await db
    .insertInto('signing_secrets')
    .values({ id: newId('sec'), owner_kind: ownerKind, owner_id: ownerId, secret_ciphertext: box.encrypt(key.signingKey), public_key: key.publicKey })
    .execute();
  return key.publicKey ? { publicKey: key.publicKey } : { secret: key.signingKey };
}

/** The HMAC secret of a new partner or v1 endpoint (shown once). */
export async function addHmacSecret(db: Db, box: SecretBox, ownerKind: 'partner' | 'endpoint', ownerId: string): Promise<string> {
  return (await addSigningSecret(db, box, ownerKind, ownerId, 'v1')).secret!;
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
  scheme: SignatureScheme = 'v1',
): Promise<NewSigningKey & { previousExpiresAt: Date }> {
  const previousExpiresAt = new Date(Date.now() + graceMs);
  const key = await inTransaction(db, async (trx) => {
    await trx
      .updateTable('signing_secrets')
      .set({ expires_at: previousExpiresAt })
      .where('owner_kind', '=', ownerKind)
      .where('owner_id', '=', ownerId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .execute();
    return addSigningSecret(trx, box, ownerKind, ownerId, scheme);
  });
  return { ...key, previousExpiresAt };
}

/** The whpk_ keys still valid for an endpoint, newest first (public: no unsealing). */
export async function activePublicKeys(db: Kysely<Database>, endpointId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('signing_secrets')
    .select(['public_key'])
    .where('owner_kind', '=', 'endpoint')
    .where('owner_id', '=', endpointId)
    .where('public_key', 'is not', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => r.public_key!);
}

/** activePublicKeys for a page of endpoints, in one query. */
export async function activePublicKeysOf(db: Kysely<Database>, endpointIds: string[]): Promise<Map<string, string[]>> {
  const byEndpoint = new Map<string, string[]>();
  if (endpointIds.length === 0) return byEndpoint;
  const rows = await db
    .selectFrom('signing_secrets')
    .select(['owner_id', 'public_key'])
    .where('owner_kind', '=', 'endpoint')
    .where('owner_id', 'in', endpointIds)
    .where('public_key', 'is not', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .orderBy('created_at', 'desc')
    .execute();
  for (const r of rows) byEndpoint.set(r.owner_id, [...(byEndpoint.get(r.owner_id) ?? []), r.public_key!]);
  return byEndpoint;
}
