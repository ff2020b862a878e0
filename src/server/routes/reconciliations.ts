import type { Router } from 'express';
import { z } from 'zod';
import { storableTimestamp } from '../../domain/storableTimestamp';
import { NotFoundError } from '../../errors';
import { PartnerId, ReconciliationRunRef } from '../../idSchemas';
import { startReconciliation } from '../../reconciliation/startReconciliation';
import { actorOf } from '../../audit/auditActor';
import { recordAudit } from '../../audit/recordAudit';
import type { AppContext } from '../context';
import { partnerScope } from '../partnerScope';
import { defineRoute } from '../route';
import type { Principal } from '../auth';

export const StartReconciliationSchema = z
  .strictObject({
    from: storableTimestamp().meta({ description: 'Window start (inclusive), on voice_sessions.ended_at' }),
    to: storableTimestamp().meta({ description: 'Window end (exclusive); must be after `from`' }),
    partner_id: PartnerId.optional().meta({ description: 'Admin: one partner (default all). A partner key may only name itself (always its own)' }),
  })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { path: ['to'], message: 'to must be after from' })
  .meta({ id: 'StartReconciliation' });

export const ReconciliationRunSchema = z
  .object({
    id: z.string(),
    partner_id: z.string().nullable(),
    window_from: z.string(),
    window_to: z.string(),
    status: z.string(),
    terminal_calls: z.number().int(),
    processed: z.number().int(),
    missing: z.number().int(),
    in_flight: z.number().int(),
    replayed: z.number().int(),
    failed: z.number().int(),
    incidents: z.array(z.string()),
    continued_as_new: z.number().int(),
    workflow_id: z.string().nullable(),
    error: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'ReconciliationRun' });

export const StartedReconciliationSchema = z
  .object({ id: z.string(), workflow_id: z.string(), status: z.string(), window_from: z.string(), window_to: z.string(), partner_id: z.string().nullable() })
  .meta({ id: 'StartedReconciliation' });

async function loadRun(ctx: AppContext, principal: Principal, id: string): Promise<z.infer<typeof ReconciliationRunSchema>> {
  const run = await ctx.db
    .selectFrom('reconciliation_runs')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', id), eb('workflow_id', '=', id)]))
    .executeTakeFirst();
  // A partner sees its own runs only; a run over all partners is an operator's.
  if (!run || (principal.kind === 'partner' && run.partner_id !== principal.partnerId)) {
    throw new NotFoundError('reconciliation run');
  }
  const incidents = await ctx.db.selectFrom('incidents').select('id').where('reconciliation_run_id', '=', run.id).orderBy('created_at').execute();
  return runToWire(run, incidents.map((i) => i.id));
}

type RunRow = Awaited<ReturnType<typeof listRunRows>>[number];

function listRunRows(ctx: AppContext, partnerId: string | null, limit: number) {
  let q = ctx.db.selectFrom('reconciliation_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (partnerId) q = q.where('partner_id', '=', partnerId);
  return q.execute();
}

/** Runs newest first, each with its incidents (one query for all of them). */
async function listRuns(ctx: AppContext, partnerId: string | null, limit: number) {
  const runs = await listRunRows(ctx, partnerId, limit);
  const incidents = runs.length
    ? await ctx.db.selectFrom('incidents').select(['id', 'reconciliation_run_id']).where('reconciliation_run_id', 'in', runs.map((r) => r.id)).orderBy('created_at').execute()
    : [];
  return runs.map((r) => runToWire(r, incidents.filter((i) => i.reconciliation_run_id === r.id).map((i) => i.id)));
}

function runToWire(run: RunRow, incidents: string[]): z.infer<typeof ReconciliationRunSchema> {
  return {
    id: run.id,
    partner_id: run.partner_id,
    window_from: run.window_from.toISOString(),
    window_to: run.window_to.toISOString(),
    status: run.status,
    terminal_calls: run.terminal_calls,
    processed: run.processed,
    missing: run.missing,
    in_flight: run.in_flight,
    replayed: run.replayed,
    failed: run.failed,
    incidents,
    continued_as_new: run.continued_as_new,
    workflow_id: run.workflow_id,
    error: run.error,
    started_at: run.started_at.toISOString(),
    finished_at: run.finished_at?.toISOString() ?? null,
  };
}

export function reconciliationRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/reconciliations',
      summary: 'Run reconciliation now for a window (replays missing terminal events, may raise incidents)',
      description: '`to` must be after `from` (422 otherwise). `partner_id` that names no partner is a 422.',
      tag: 'Reconciliation',
      auth: 'partner',
      body: StartReconciliationSchema,
      responses: {
        202: { description: 'Run recorded and its workflow started; poll GET /v1/reconciliations/{id}', schema: StartedReconciliationSchema },
        403: { description: 'A partner key naming another partner' },
        422: { description: 'Invalid window' },
        503: { description: 'Temporal unavailable; the run is recorded as failed' },
      },
    },
    async ({ body, principal, req }) => {
      const partnerId = partnerScope(principal, body.partner_id);
      const started = await startReconciliation(ctx, { from: body.from, to: body.to, partnerId });
      await recordAudit(ctx.db, actorOf(principal, req), { action: 'reconciliation.started', partnerId, target: { type: 'reconciliation', id: started.id }, detail: { window_from: body.from, window_to: body.to } });
      return { status: 202, body: started, headers: { location: `/v1/reconciliations/${started.id}` } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/reconciliations',
      summary: 'Reconciliation runs, newest first (partner: its own; admin: all, including runs over all partners)',
      tag: 'Reconciliation',
      auth: 'partner',
      query: z.strictObject({
        partner_id: PartnerId.optional().meta({ description: 'Admin only: one partner; a partner key may only name itself' }),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: { 200: { description: 'Runs', schema: z.object({ data: z.array(ReconciliationRunSchema) }) } },
    },
    async ({ query, principal }) => ({ status: 200, body: { data: await listRuns(ctx, partnerScope(principal, query.partner_id), query.limit) } }),
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/reconciliations/:id',
      params: z.object({ id: ReconciliationRunRef }),
      summary: 'A reconciliation run (by run id or workflow id): window, counts, incidents',
      tag: 'Reconciliation',
      auth: 'partner',
      responses: { 200: { description: 'The run', schema: ReconciliationRunSchema }, 404: { description: 'No such run (or not yours)' } },
    },
    async ({ params, principal }) => ({ status: 200, body: await loadRun(ctx, principal, params.id) }),
  );
}
