/**
 * A small per-worker cache of routing-map hits. Only positive answers are cached (a miss may be
 * filled any second by the partner), entries expire, and resolveTenant re-reads the database
 * before acting on any conflict, so the cache can speed things up but never decide a quarantine.
 */
export class TenantRouteCache {
  private readonly entries = new Map<string, { tenantId: string; expires: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 50_000,
  ) {}

  get(key: string, now = Date.now()): string | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires < now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.tenantId;
  }

  set(key: string, tenantId: string, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      // Map iteration order is insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { tenantId, expires: now + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
