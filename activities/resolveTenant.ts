import { sql } from 'kysely';
import { decideTenant, resolutionKeys, type KeyLookup, type ResolutionKey } from '../src/domain/tenantResolution';
import { stampTenantStatement } from '../src/db/statements/stampTenant';
import type { ActivityDeps } from './deps';
import { permanentFailure, FailureType } from './failures';
import { TenantRouteCache } from './tenantRouteCache';

export type ResolveTenantResult =
  | { outcome: 'resolved'; tenantId: string; via: string[] }
  | { outcome: 'conflict'; reason: string; detail: Record<string, unknown> }
  | { outcome: 'unresolved'; keys: ResolutionKey[] };

/**
 * Resolves an event's tenant from every key it carries. On success the event row is stamped, a
 * `tenant_resolved` checkpoint written, and the call's ids are learned into the routing map so
 * later events of the same call (which often carry only call_id) resolve too. Used by the
 * resolveAndPlanDeliveries activity, with one route cache per worker.
 */
export function tenantResolver({ db, logger }: Pick<ActivityDeps, 'db' | 'logger'>, cache = new TenantRouteCache()) {
  async function lookup(partnerId: string, key: ResolutionKey, useCache: boolean): Promise<KeyLookup> {
    if (key.kind === 'tenant_id') {
      const tenant = await db
        .selectFrom('tenants')
        .select(['id', 'partner_id'])
        .where('id', '=', key.value)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!tenant) return { key, tenantId: null };
      if (tenant.partner_id !== partnerId) return { key, tenantId: null, foreign: true };
      return { key, tenantId: tenant.id };
    }
    const cacheKey = `${partnerId}\u0000${key.kind}\u0000${key.value}`;
    if (useCache) {
      const cached = cache.get(cacheKey);
      if (cached) return { key, tenantId: cached };
    }
    const route = await db
      .selectFrom('tenant_routes')
      .innerJoin('tenants', 'tenants.id', 'tenant_routes.tenant_id')
      .select('tenant_routes.tenant_id')
      .where('tenant_routes.partner_id', '=', partnerId)
      .where('tenant_routes.kind', '=', key.kind)
      .where('tenant_routes.value', '=', key.value)
      .where('tenants.deleted_at', 'is', null)
      .executeTakeFirst();
    if (route) cache.set(cacheKey, route.tenant_id);
    return { key, tenantId: route?.tenant_id ?? null };
  }

  return {
    /** The event's tenant (the event stamped), or why there is none yet: conflict or unresolved. */
    async resolve(eventId: string): Promise<ResolveTenantResult> {
      const event = await db.selectFrom('events').select(['id', 'partner_id', 'tenant_id', 'payload']).where('id', '=', eventId).executeTakeFirst();
      if (!event) throw permanentFailure(FailureType.NotFound, `event ${eventId} not found`);
      const payload = event.payload as Parameters<typeof resolutionKeys>[0];
      const keys = resolutionKeys(payload);

      let decision = decideTenant(await Promise.all(keys.map((k) => lookup(event.partner_id, k, true))));
      if (decision.outcome === 'conflict') {
        // Never quarantine on the strength of a cached answer: re-read the map.
        decision = decideTenant(await Promise.all(keys.map((k) => lookup(event.partner_id, k, false))));
      }
      if (decision.outcome !== 'resolved') return decision;

      const tenantId = decision.tenantId;
      // An event's tenant is decided once. A second resolution (a retry whose first try stamped
      // the event and maybe planned deliveries before its answer was lost, a replay) that finds
      // another tenant means the routing map changed in between: both answers were "right" at
      // their time, so neither is a safe guess. Quarantine; an operator releases it to one.
      if (event.tenant_id !== null && event.tenant_id !== tenantId) {
        return { outcome: 'conflict', reason: 'tenant_changed', detail: { stamped_tenant_id: event.tenant_id, resolved_tenant_id: tenantId, via: decision.via } };
      }
      const learned = keys
        .filter((k): k is ResolutionKey & { kind: 'call_id' | 'voice_session_id' } => k.kind === 'call_id' || k.kind === 'voice_session_id')
        .map((k) => ({ id: `rte_learned_${eventId}_${k.kind}`, partner_id: event.partner_id, tenant_id: tenantId, kind: k.kind, value: k.value }));
      await stampTenantStatement(db, { eventId, tenantId, detail: { tenant_id: tenantId, via: decision.via }, learned });
      logger.debug({ event_id: eventId, tenant_id: tenantId, via: decision.via }, 'tenant resolved');
      return { outcome: 'resolved', tenantId, via: decision.via };
    },
  };
}

export type TenantResolver = ReturnType<typeof tenantResolver>;

export function quarantineActivities({ db, logger, metrics }: ActivityDeps) {
  return {
    /** Park the event in quarantine: stored with the reason, nothing delivered, until a partner acts. */
    async quarantineEvent(input: { eventId: string; reason: string; detail: Record<string, unknown> }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const event = await trx.selectFrom('events').select(['partner_id']).where('id', '=', input.eventId).executeTakeFirstOrThrow();
        await trx
          .insertInto('quarantine')
          .values({
            id: `qtn_${input.eventId.slice(4)}`,
            event_id: input.eventId,
            partner_id: event.partner_id,
            reason: input.reason,
            detail: JSON.stringify(input.detail),
          })
          .onConflict((oc) => oc.column('event_id').doUpdateSet({ reason: input.reason, detail: JSON.stringify(input.detail), status: 'open' }))
          .execute();
        await trx.updateTable('events').set({ status: 'quarantined', updated_at: sql`now()` }).where('id', '=', input.eventId).execute();
        await trx
          .insertInto('event_checkpoints')
          .values({ event_id: input.eventId, stage: 'quarantined', detail: JSON.stringify({ reason: input.reason, ...input.detail }) })
          .execute();
      });
      logger.warn({ event_id: input.eventId, reason: input.reason, outcome: 'quarantined' }, 'event quarantined');
      metrics.quarantined.inc({ reason: input.reason });
    },
  };
}
