import { sql } from 'kysely';
import { decideTenant, type ResolutionKey } from '../src/domain/tenantResolution';
import { loadEventRouting } from '../src/db/statements/loadEventRouting';
import type { LearnedRoute } from '../src/db/statements/stampAndPlan';
import { recordOperationalEvent } from '../src/operational/recordOperationalEvent';
import type { ActivityDeps } from './deps';
import { permanentFailure, FailureType } from './failures';

export type ResolveTenantResult =
  | { outcome: 'resolved'; tenantId: string; via: string[] }
  | { outcome: 'conflict'; reason: string; detail: Record<string, unknown> }
  | { outcome: 'unresolved'; keys: ResolutionKey[] };

/** A resolution decided but not yet written: the tenant, and the routes the event teaches the map. */
export interface DecidedTenant {
  outcome: 'resolved';
  tenantId: string;
  via: string[];
  /** The stamp's checkpoint detail. */
  detail: Record<string, unknown>;
  learned: LearnedRoute[];
}

/**
 * Decides an event's tenant from every key it carries (one round trip: loadEventRouting), and
 * what the resolution writes: the stamp's checkpoint detail and the call's ids to learn into the
 * routing map, so later events of the same call (which often carry only call_id) resolve too. The
 * writes are the caller's, folded into its own statement (routeAndDeliver: stampAndPlan).
 */
export function tenantResolver({ db }: Pick<ActivityDeps, 'db' | 'logger'>) {
  async function decide(eventId: string): Promise<DecidedTenant | Exclude<ResolveTenantResult, { outcome: 'resolved' }>> {
    const event = await loadEventRouting(db, eventId);
    if (!event) throw permanentFailure(FailureType.NotFound, `event ${eventId} not found`);
    const decision = decideTenant(event.lookups);
    if (decision.outcome !== 'resolved') return decision;

    const tenantId = decision.tenantId;
    // An event's tenant is decided once. A second resolution (a retry whose first try stamped
    // the event and maybe planned deliveries before its answer was lost, a replay) that finds
    // another tenant means the routing map changed in between: both answers were "right" at
    // their time, so neither is a safe guess. Quarantine; an operator releases it to one.
    if (event.tenant_id !== null && event.tenant_id !== tenantId) {
      return { outcome: 'conflict', reason: 'tenant_changed', detail: { stamped_tenant_id: event.tenant_id, resolved_tenant_id: tenantId, via: decision.via } };
    }
    const learned = event.lookups
      .map((l) => l.key)
      .filter((k): k is ResolutionKey & { kind: 'call_id' | 'voice_session_id' } => k.kind === 'call_id' || k.kind === 'voice_session_id')
      .map((k) => ({ id: `rte_learned_${eventId}_${k.kind}`, partner_id: event.partner_id, tenant_id: tenantId, kind: k.kind, value: k.value }));
    return { outcome: 'resolved', tenantId, via: decision.via, detail: { tenant_id: tenantId, via: decision.via }, learned };
  }

  return { decide };
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
        await recordOperationalEvent(trx, { type: 'event.quarantined', partnerId: event.partner_id, tenantId: null, detail: { event_id: input.eventId, reason: input.reason } });
        // Marks the outbox row started too when the routing step did not get that far (eager
        // starts leave that mark to it), so no relay sweep starts the workflow again.
        await trx
          .updateTable('events')
          .set({ status: 'quarantined', updated_at: sql`now()`, workflow_started_at: sql`coalesce(workflow_started_at, now())` })
          .where('id', '=', input.eventId)
          .execute();
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
