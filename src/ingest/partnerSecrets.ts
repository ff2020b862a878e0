import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import { activeSecrets } from '../db/signingSecrets';
import type { Database } from '../db/schema';

/**
 * Inbound secrets per partner, cached briefly so verification costs no query on the hot path.
 * A verification failure re-reads the database once (see ingest), so a just-rotated secret works
 * immediately and a revoked one stops working within the TTL. Forced re-reads are limited to one
 * per partner per `minRefreshMs`, so a flood of badly signed requests cannot turn into a flood of
 * queries. Rotation through this process's API invalidates the entry at once; another server
 * instance picks the new secret up on its next forced re-read (within `minRefreshMs`).
 */
export class PartnerSecretCache {
  private readonly entries = new Map<string, { exists: boolean; secrets: string[]; expires: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly ttlMs = 10_000,
    private readonly minRefreshMs = 1_000,
  ) {}

  async get(partnerId: string, fresh = false): Promise<{ exists: boolean; secrets: string[] }> {
    const now = Date.now();
    const hit = this.entries.get(partnerId);
    const recentlyRead = hit !== undefined && now - (hit.expires - this.ttlMs) < this.minRefreshMs;
    if (hit && hit.expires > now && (!fresh || recentlyRead)) return hit;
    const partner = await this.db.selectFrom('partners').select('id').where('id', '=', partnerId).executeTakeFirst();
    const entry = {
      exists: !!partner,
      secrets: partner ? await activeSecrets(this.db, this.box, 'partner', partnerId) : [],
      expires: now + this.ttlMs,
    };
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(partnerId, entry);
    return entry;
  }

  /** Forget a partner's secrets (after a rotation), so the next request reads them fresh. */
  invalidate(partnerId: string): void {
    this.entries.delete(partnerId);
  }
}
