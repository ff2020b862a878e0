import type { Router } from 'express';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { storableTimestamp } from '../../domain/storableTimestamp';
import { CALL_STATUSES, isTerminalCallStatus } from '../../domain/terminalCallStatus';
import { NotFoundError, ValidationError } from '../../errors';
import { PartnerId, TenantId } from '../../idSchemas';
import { Identifier } from '../../tenancy/wireCommon';
import type { Database } from '../../db/schema';
import type { AppContext } from '../context';
import { partnerScope } from '../partnerScope';
import { checkedOneByOne } from '../openapiSchemas';
import { defineRoute, issuesToDetails } from '../route';

export const MAX_VOICE_SESSIONS_PER_REQUEST = 10_000;

/** 10,000 rows do not fit the API's general 1 MiB body limit. */
const VOICE_SESSIONS_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

const identifier = Identifier;
const timestamp = storableTimestamp();

/** One call-log row. Validated on its own so one bad row never sinks the other 9,999. */
export const VoiceSessionRowSchema = z
  .strictObject({
    call_id: identifier,
    voice_session_id: identifier.optional(),
    tenant_id: TenantId.optional(),
    status: z.enum(CALL_STATUSES),
    started_at: timestamp.optional(),
    ended_at: timestamp.optional(),
    terminal: z.boolean().optional().meta({ description: 'Defaults from status: ended, completed and the failure statuses are terminal' }),
  })
  .superRefine((r, ctx) => {
    const terminal = r.terminal ?? isTerminalCallStatus(r.status);
    if (terminal && !r.ended_at) ctx.addIssue({ code: 'custom', path: ['ended_at'], message: 'ended_at is required for a terminal call' });
    if (r.started_at && r.ended_at && Date.parse(r.ended_at) < Date.parse(r.started_at)) {
      ctx.addIssue({ code: 'custom', path: ['ended_at'], message: 'ended_at is before started_at' });
    }
  })
  .meta({ id: 'VoiceSession' });

export const VoiceSessionsUploadSchema = z
  .strictObject({
    sessions: z
      .array(checkedOneByOne(VoiceSessionRowSchema))
      .min(1)
      .max(MAX_VOICE_SESSIONS_PER_REQUEST)
      .meta({ description: 'Call-log rows, each validated on its own: refused rows are listed in `errors`, the others written (422 only when no row is valid)' }),
  })
  .meta({ id: 'VoiceSessionsUpload' });

export const RowErrorSchema = z.object({ index: z.number().int(), call_id: z.string().optional(), field: z.string(), message: z.string() });

export const VoiceSessionsResultSchema = z
  .object({
    received: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    rejected: z.number().int(),
    /** True when some rows were rejected: partial success is explicit, never a silent 200. */
    partial: z.boolean(),
    errors: z.array(RowErrorSchema),
  })
  .meta({ id: 'VoiceSessionsResult' });

type RowError = z.infer<typeof RowErrorSchema>;
type Row = z.infer<typeof VoiceSessionRowSchema>;

const CHUNK = 1_000;

export function voiceSessionRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners/:partner_id/voice-sessions',
      params: z.object({ partner_id: PartnerId }),
      summary: 'Upsert call-log rows by call_id (up to 10,000 per request, validated row by row)',
      tag: 'Reconciliation',
      auth: 'partner',
      body: VoiceSessionsUploadSchema,
      bodyLimitBytes: VOICE_SESSIONS_BODY_LIMIT_BYTES,
      responses: {
        200: { description: 'Valid rows written. If `partial`, `errors` lists each rejected row (index, field, message)', schema: VoiceSessionsResultSchema },
        403: { description: 'A partner key for another partner' },
        404: { description: 'No such partner' },
        413: { description: 'Body over 8 MiB' },
        422: { description: 'No row was valid (or the envelope is malformed); nothing written; details lists per-row errors' },
      },
    },
    async ({ body, params, principal }) => {
      const partnerId = partnerScope(principal, params.partner_id)!;
      const partner = await ctx.db.selectFrom('partners').select('id').where('id', '=', partnerId).executeTakeFirst();
      if (!partner) throw new NotFoundError('partner');

      const { errors, valid } = readRows(body.sessions);
      await refuseForeignTenants(ctx.db, partnerId, valid, errors);
      errors.sort((a, b) => a.index - b.index);
      if (valid.length === 0) {
        throw new ValidationError(`no valid row: ${errors.length} error(s)`, errors);
      }
      const inserted = await upsertRows(ctx.db, partnerId, valid);
      ctx.logger.info({ partner_id: partnerId, received: body.sessions.length, written: valid.length, rejected: body.sessions.length - valid.length }, 'voice sessions upserted');
      const rejected = body.sessions.length - valid.length;
      return {
        status: 200,
        body: { received: body.sessions.length, inserted, updated: valid.length - inserted, rejected, partial: rejected > 0, errors },
      };
    },
  );
}

type ValidRow = { index: number; row: Row };

/** Validates row by row: every valid row once, every refusal with its index (a repeated call_id is one). */
function readRows(sessions: readonly unknown[]): { errors: RowError[]; valid: ValidRow[] } {
  const errors: RowError[] = [];
  const valid: ValidRow[] = [];
  const firstIndexOf = new Map<string, number>();
  sessions.forEach((raw, index) => {
    const parsed = VoiceSessionRowSchema.safeParse(raw);
    const callId = typeof (raw as { call_id?: unknown })?.call_id === 'string' ? (raw as { call_id: string }).call_id : undefined;
    if (!parsed.success) {
      for (const d of issuesToDetails(parsed.error)) errors.push({ index, ...(callId ? { call_id: callId } : {}), field: d.field === '(body)' ? '(row)' : d.field, message: d.message });
      return;
    }
    const seen = firstIndexOf.get(parsed.data.call_id);
    if (seen !== undefined) {
      // One statement cannot upsert a key twice; an ambiguous request is refused, row by row.
      errors.push({ index, call_id: parsed.data.call_id, field: 'call_id', message: `duplicate of row ${seen} in this request` });
      return;
    }
    firstIndexOf.set(parsed.data.call_id, index);
    valid.push({ index, row: parsed.data });
  });
  return { errors, valid };
}

/** Tenant isolation: a row may only name a tenant of this partner; the others move from `valid` to `errors`. */
async function refuseForeignTenants(db: Kysely<Database>, partnerId: string, valid: ValidRow[], errors: RowError[]): Promise<void> {
  const tenantIds = [...new Set(valid.map((v) => v.row.tenant_id).filter((t): t is string => !!t))];
  if (tenantIds.length === 0) return;
  const own = new Set(
    (await db.selectFrom('tenants').select('id').where('partner_id', '=', partnerId).where('id', 'in', tenantIds).execute()).map((t) => t.id),
  );
  for (let i = valid.length - 1; i >= 0; i--) {
    const v = valid[i]!;
    if (v.row.tenant_id && !own.has(v.row.tenant_id)) {
      errors.push({ index: v.index, call_id: v.row.call_id, field: 'tenant_id', message: 'not a tenant of this partner' });
      valid.splice(i, 1);
    }
  }
}

/** Upserts by (partner_id, call_id) in chunks; returns how many rows were new. */
async function upsertRows(db: Kysely<Database>, partnerId: string, valid: readonly ValidRow[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < valid.length; i += CHUNK) {
    const rows = await db
      .insertInto('voice_sessions')
      .values(
        valid.slice(i, i + CHUNK).map(({ row }) => ({
          partner_id: partnerId,
          call_id: row.call_id,
          voice_session_id: row.voice_session_id ?? null,
          tenant_id: row.tenant_id ?? null,
          status: row.status,
          started_at: row.started_at ?? null,
          ended_at: row.ended_at ?? null,
          terminal: row.terminal ?? isTerminalCallStatus(row.status),
        })),
      )
      .onConflict((oc) =>
        oc.columns(['partner_id', 'call_id']).doUpdateSet((eb) => ({
          voice_session_id: eb.ref('excluded.voice_session_id'),
          tenant_id: eb.ref('excluded.tenant_id'),
          status: eb.ref('excluded.status'),
          started_at: eb.ref('excluded.started_at'),
          ended_at: eb.ref('excluded.ended_at'),
          terminal: eb.ref('excluded.terminal'),
          updated_at: sql`now()`,
        })),
      )
      // xmax = 0 only on a freshly inserted tuple: tells inserts from updates in one statement.
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .execute();
    inserted += rows.filter((r) => r.inserted).length;
  }
  return inserted;
}
