import type { Router } from 'express';
import { z } from 'zod';
import { EVENT_TYPES } from '../../domain/eventTypes';
import { VERSION } from '../../version';
import type { AppContext } from '../context';
import { buildOpenApiDocument, registerOperation } from '../openapi';

export const EventTypeSchema = z
  .object({ type: z.string(), description: z.string(), terminal: z.boolean(), callless: z.boolean() })
  .meta({ id: 'EventType' });

export function metaRoutes(router: Router, ctx: AppContext): void {
  registerOperation({
    method: 'get',
    path: '/v1/event-types',
    summary: 'The event-type catalog (which types exist, which are terminal)',
    tag: 'Catalog',
    auth: 'none',
    responses: { 200: { description: 'Catalog', schema: z.object({ data: z.array(EventTypeSchema) }) } },
  });
  router.get('/v1/event-types', (_req, res) => {
    res.json({ data: EVENT_TYPES });
  });

  registerOperation({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'Health',
    auth: 'none',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', ctx.metrics.registry.contentType);
    res.send(await ctx.metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApiDocument(VERSION));
  });
}
