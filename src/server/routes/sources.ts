import type { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import { NotFoundError, ValidationError } from '../../errors';
import { PartnerId, SourceId, SourceReceiptId } from '../../idSchemas';
import type { SourceCache } from '../../sources/sourceCache';
import { listSourceReceipts } from '../../sources/sourceReceipts';
import {
  CreatedSourceSchema,
  CreateSourceBody,
  DryRunBody,
  DryRunResultSchema,
  RotatedSourceSecretSchema,
  RotateSourceSecretBody,
  SourceListSchema,
  SourceReceiptListSchema,
  SourceSchema,
  UpdateSourceBody,
  type SourceVerification,
  WHSEC_PATTERN,
} from '../../sources/sourceSchemas';
import { activeSourceSecrets, generateSourceSecret, rotateSourceSecret } from '../../sources/sourceSecrets';
import { createSource, deleteSource, getSource, listSources, updateSource, type Source } from '../../sources/sources';
import { canSeePartner } from '../../tenancy/access';
import { getPartner } from '../../tenancy/partners';
import { iso, listQuery, page } from '../../tenancy/wireCommon';
import type { Principal } from '../auth';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { dryRun } from './sourceDryRun';

const TAG = 'Sources';
const PartnerSourcesPath = z.object({ partner_id: PartnerId });
const SourcePath = z.object({ partner_id: PartnerId, source_id: SourceId });

export function sourceToWire(s: Source): z.infer<typeof SourceSchema> {
  return {
    id: s.id,
    partner_id: s.partnerId,
    name: s.name,
    verification: s.verification as Record<string, unknown>,
    mapping: s.mapping as Record<string, unknown> | null,
    ip_allowlist: s.ipAllowlist,
    ingest_path: `/v1/sources/${s.id}/events`,
    created_at: iso(s.createdAt)!,
    updated_at: iso(s.updatedAt)!,
  };
}

/** A `whsec_`/base64 key is what Standard Webhooks and x-signature sign with; anything else could never verify. */
function assertSecretFits(scheme: SourceVerification['scheme'], secret: string): void {
  if (scheme !== 'standard_webhooks' && scheme !== 'x_signature') return;
  if (!new RegExp(WHSEC_PATTERN).test(secret)) {
    throw new ValidationError(`invalid request body: secret: the ${scheme} scheme needs a whsec_<base64> secret of at least 16 bytes`, [
      { field: 'secret', message: `the ${scheme} scheme needs a whsec_<base64> secret of at least 16 bytes` },
    ]);
  }
}

async function visiblePartner(ctx: AppContext, principal: Principal, partnerId: string): Promise<void> {
  if (!canSeePartner(principal, partnerId) || !(await getPartner(ctx.db, partnerId))) throw new NotFoundError('partner');
}

async function visibleSource(ctx: AppContext, principal: Principal, params: z.infer<typeof SourcePath>): Promise<Source> {
  const source = canSeePartner(principal, params.partner_id) ? await getSource(ctx.db, params.source_id, params.partner_id) : undefined;
  if (!source) throw new NotFoundError('source');
  return source;
}

/** Sources of a partner: the partner key manages its own, the admin key any partner's. */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function sourceRoutes(router: Router, ctx: AppContext, cache: SourceCache): void {
  const { db, secretBox, config } = ctx;
  const auth = 'partner' as const;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners/:partner_id/sources',
      params: PartnerSourcesPath,
      summary: 'Create an inbound source: how a partner platform authenticates and where its event fields are',
      description: 'The secret (given, or generated when left out) is shown only in this answer. See docs/ingest.md, "Connecting a partner\'s platform".',
      tag: TAG,
      auth,
      body: CreateSourceBody,
      responses: { 201: { description: 'Created; `secret` is shown only now', schema: CreatedSourceSchema } },
    },
    async ({ params, principal, body, req }) => {
      await visiblePartner(ctx, principal, params.partner_id);
      const secret = body.secret ?? generateSourceSecret(body.verification.scheme);
      assertSecretFits(body.verification.scheme, secret);
      const input = { partnerId: params.partner_id, name: body.name, verification: body.verification, mapping: body.mapping, ipAllowlist: body.ip_allowlist, secret };
      const source = await audited(
        db,
        actorOf(principal, req),
        (trx) => createSource(trx, secretBox, input),
        (s) => ({ action: 'source.created', partnerId: s.partnerId, target: { type: 'source', id: s.id }, detail: { scheme: s.verification.scheme } }),
      );
      return { status: 201, body: { ...sourceToWire(source), secret } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/partners/:partner_id/sources',
      params: PartnerSourcesPath,
      summary: 'List a partner\'s sources',
      tag: TAG,
      auth,
      query: listQuery(SourceId),
      responses: { 200: { description: 'A page of sources (never their secrets)', schema: SourceListSchema } },
    },
    async ({ params, principal, query }) => {
      await visiblePartner(ctx, principal, params.partner_id);
      const p = page(await listSources(db, params.partner_id, query.limit, query.after), query.limit);
      return { status: 200, body: { data: p.data.map(sourceToWire), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    { method: 'get', path: '/v1/partners/:partner_id/sources/:source_id', params: SourcePath, summary: 'Get a source', tag: TAG, auth, responses: { 200: { description: 'The source (never its secret)', schema: SourceSchema } } },
    async ({ params, principal }) => ({ status: 200, body: sourceToWire(await visibleSource(ctx, principal, params)) }),
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'patch',
      path: '/v1/partners/:partner_id/sources/:source_id',
      params: SourcePath,
      summary: 'Change a source\'s name, verification, mapping or IP allowlist (secrets: rotate-secret)',
      tag: TAG,
      auth,
      body: UpdateSourceBody,
      responses: { 200: { description: 'The source as changed', schema: SourceSchema } },
    },
    async ({ params, principal, body, req }) => {
      await visibleSource(ctx, principal, params);
      const changes = { name: body.name, verification: body.verification, mapping: body.mapping, ipAllowlist: body.ip_allowlist };
      const updated = await audited(
        db,
        actorOf(principal, req),
        async (trx) => {
          const row = await updateSource(trx, params.source_id, params.partner_id, changes);
          if (!row) throw new NotFoundError('source');
          return row;
        },
        (s) => ({ action: 'source.updated', partnerId: s.partnerId, target: { type: 'source', id: s.id }, detail: { fields: Object.keys(body).sort() } }),
      );
      cache.invalidate(params.source_id);
      return { status: 200, body: sourceToWire(updated) };
    },
  );

  defineRoute(
    router,
    ctx,
    { method: 'delete', path: '/v1/partners/:partner_id/sources/:source_id', params: SourcePath, summary: 'Delete a source (it stops taking requests at once; its receipts stay)', tag: TAG, auth, responses: { 204: { description: 'Deleted' } } },
    async ({ params, principal, req }) => {
      await visibleSource(ctx, principal, params);
      await audited(
        db,
        actorOf(principal, req),
        async (trx) => {
          if (!(await deleteSource(trx, params.source_id, params.partner_id))) throw new NotFoundError('source');
        },
        () => ({ action: 'source.deleted', partnerId: params.partner_id, target: { type: 'source', id: params.source_id } }),
      );
      cache.invalidate(params.source_id);
      return { status: 204 };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners/:partner_id/sources/:source_id/rotate-secret',
      params: SourcePath,
      summary: 'Rotate the source secret (give the platform\'s new one, or get one generated); the previous one keeps verifying for the grace period',
      tag: TAG,
      auth,
      body: RotateSourceSecretBody,
      responses: { 200: { description: 'The new secret, shown only now', schema: RotatedSourceSecretSchema } },
    },
    async ({ params, principal, body, req }) => {
      const source = await visibleSource(ctx, principal, params);
      const secret = body.secret ?? generateSourceSecret(source.verification.scheme);
      assertSecretFits(source.verification.scheme, secret);
      const graceMs = body.grace_period_seconds !== undefined ? body.grace_period_seconds * 1000 : config.secretRotationGraceMs;
      const expires = await audited(
        db,
        actorOf(principal, req),
        (trx) => rotateSourceSecret(trx, secretBox, source.id, secret, graceMs),
        () => ({ action: 'source.secret_rotated', partnerId: source.partnerId, target: { type: 'source', id: source.id }, detail: { grace_ms: graceMs } }),
      );
      cache.invalidate(source.id);
      return { status: 200, body: { secret, previous_secret_expires_at: expires.toISOString() } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners/:partner_id/sources/:source_id/test',
      params: SourcePath,
      summary: 'Dry run: what the source would do with a sample request (verified? mapped event? or the failing rule and pointer); stores nothing',
      tag: TAG,
      auth,
      body: DryRunBody,
      bodyLimitBytes: 8 * 1024 * 1024,
      responses: { 200: { description: 'The verdict', schema: DryRunResultSchema } },
    },
    async ({ params, principal, body, req }) => {
      const source = await visibleSource(ctx, principal, params);
      const secrets = await activeSourceSecrets(db, secretBox, source.id);
      return { status: 200, body: dryRun(source, secrets, body, config, req) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/partners/:partner_id/sources/:source_id/receipts',
      params: SourcePath,
      summary: 'Requests the source verified but did not take: rejected (unmappable, with the reason) and ignored, as received',
      tag: TAG,
      auth,
      query: listQuery(SourceReceiptId),
      responses: { 200: { description: 'A page of receipts, oldest first', schema: SourceReceiptListSchema } },
    },
    async ({ params, principal, query }) => {
      const source = await visibleSource(ctx, principal, params);
      const p = page(await listSourceReceipts(db, source.id, query.limit, query.after), query.limit);
      const data = p.data.map((r) => ({
        id: r.id,
        source_id: r.source_id,
        outcome: r.outcome,
        reason: r.reason,
        details: r.details as Record<string, unknown> | null,
        received_at: iso(r.received_at)!,
        source_ip: r.source_ip,
        headers: r.headers as Record<string, string>,
        body: r.body,
      }));
      return { status: 200, body: { data, next_after: p.next_after } };
    },
  );
}
