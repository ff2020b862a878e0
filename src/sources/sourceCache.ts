import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
import { activeSourceSecrets } from './sourceSecrets';
import { getSource, type Source } from './sources';

export interface SourceEntry {
  source: Source | undefined;
  secrets: string[];
}

/**
 * Sources and their decrypted secrets for ingest, cached briefly as the partner secrets are
 * (src/ingest/partnerSecrets.ts): a verification failure re-reads once (a just-rotated secret
 * works at once), at most once per `minRefreshMs` per source; this process's management routes
 * invalidate an entry as they change it; another instance sees a change within the TTL.
 */
export class SourceCache {
  private readonly entries = new Map<string, SourceEntry & { readAt: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly ttlMs = 10_000,
    private readonly minRefreshMs = 1_000,
  ) {}

  async get(sourceId: string, fresh = false): Promise<SourceEntry> {
    const now = Date.now();
    const hit = this.entries.get(sourceId);
    const age = hit ? now - hit.readAt : Infinity;
    if (hit && age < this.ttlMs && (!fresh || age < this.minRefreshMs)) return hit;
    const source = await getSource(this.db, sourceId);
    const entry = { source, secrets: source ? await activeSourceSecrets(this.db, this.box, sourceId) : [], readAt: now };
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(sourceId, entry);
    return entry;
  }

  invalidate(sourceId: string): void {
    this.entries.delete(sourceId);
  }
}
