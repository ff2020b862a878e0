import type { Router } from 'express';
import { z } from 'zod';
import { PartnerId } from '../../idSchemas';
import { NotFoundError } from '../../errors';
import { canSeePartner } from '../../tenancy/access';
import { assertDestinationUrl } from '../../tenancy/destinationUrl';
import {
  CreatedPartnerSchema,
  CreatePartnerBody,
  PartnerListSchema,
  partnerToWire,
  PartnerSchema,
  RotatedPartnerSecretSchema,
} from '../../tenancy/partnerSchemas';
import { createPartner, getPartner, listPartners } from '../../tenancy/partners';
import { rotateSigningSecret } from '../../tenancy/secrets';
import { GraceBody, listQuery, page } from '../../tenancy/wireCommon';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import type { AppContext } from '../context';
import { defineRoute } from '../route';

const TAG = 'Partners';
export const PartnerPath = z.object({ partner_id: PartnerId });

/** Partners: created by the admin; a partner key sees (and rotates) only itself. */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function partnerRoutes(router: Router, ctx: AppContext): void {
  const { db, secretBox, config } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners',
      summary: 'Create a partner with its first API key and inbound signing secret (admin)',
      tag: TAG,
      auth: 'admin',
      body: CreatePartnerBody,
      responses: { 201: { description: 'Created; api_key and inbound_secret are shown only now', schema: CreatedPartnerSchema } },
    },
    async ({ body, principal, req }) => {
      const ops = body.ops_webhook_url ? assertDestinationUrl('ops_webhook_url', body.ops_webhook_url, config.allowPrivateNetwork) : null;
      const created = await audited(
        db,
        actorOf(principal, req),
        (trx) => createPartner(trx, secretBox, { name: body.name, ops_webhook_url: ops }),
        (p) => ({ action: 'partner.created', partnerId: p.id, target: { type: 'partner', id: p.id } }),
      );
      return { status: 201, body: created };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/partners',
      summary: 'List partners (admin: all; a partner key: itself)',
      tag: TAG,
      auth: 'partner',
      query: listQuery(PartnerId),
      responses: { 200: { description: 'A page of partners', schema: PartnerListSchema } },
    },
    async ({ query, principal }) => {
      const rows = await listPartners(db, {
        onlyId: principal.kind === 'partner' ? principal.partnerId : undefined,
        limit: query.limit,
        after: query.after,
      });
      const p = page(rows, query.limit);
      return { status: 200, body: { data: p.data.map(partnerToWire), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/partners/:partner_id',
      params: PartnerPath,
      summary: 'Get a partner (admin, or that partner)',
      tag: TAG,
      auth: 'partner',
      responses: { 200: { description: 'The partner', schema: PartnerSchema } },
    },
    async ({ params, principal }) => {
      const id = params.partner_id;
      const partner = canSeePartner(principal, id) ? await getPartner(db, id) : undefined;
      if (!partner) throw new NotFoundError('partner');
      return { status: 200, body: partnerToWire(partner) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/partners/:partner_id/rotate-secret',
      params: PartnerPath,
      summary: 'Rotate the inbound signing secret; the previous one keeps verifying for the grace period (default 24 h)',
      tag: TAG,
      auth: 'partner',
      body: GraceBody,
      responses: { 200: { description: 'The new secret, shown only now', schema: RotatedPartnerSecretSchema } },
    },
    async ({ params, principal, body, req }) => {
      const id = params.partner_id;
      const partner = canSeePartner(principal, id) ? await getPartner(db, id) : undefined;
      if (!partner) throw new NotFoundError('partner');
      const graceMs = body.grace_period_seconds !== undefined ? body.grace_period_seconds * 1000 : config.secretRotationGraceMs;
      const r = await audited(
        db,
        actorOf(principal, req),
        (trx) => rotateSigningSecret(trx, secretBox, 'partner', id, graceMs),
        () => ({ action: 'partner.secret_rotated', partnerId: id, target: { type: 'partner', id }, detail: { grace_ms: graceMs } }),
      );
      ctx.partnerSecrets.invalidate(id);
      return { status: 200, body: { inbound_secret: r.secret, previous_secret_expires_at: r.previousExpiresAt.toISOString() } };
    },
  );
}
