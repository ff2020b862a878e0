import type { Router } from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../context';
import { registerOperation } from '../openapi';
import { VERSION } from '../../version';

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() }).meta({ id: 'Health' });
const ComponentSchema = z.union([
  z.object({ status: z.literal('up'), latency_ms: z.number().int() }),
  z.object({ status: z.literal('down'), error: z.string() }),
]);
const ReadinessSchema = z
  .object({ status: z.enum(['ready', 'not_ready']), components: z.object({ postgres: ComponentSchema, temporal: ComponentSchema }) })
  .meta({ id: 'Readiness' });

export function healthRoutes(router: Router, ctx: AppContext): void {
  registerOperation({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tag: 'Health',
    auth: 'none',
    responses: { 200: { description: 'Up', schema: HealthSchema } },
  });
  registerOperation({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres and Temporal reachable (503 with per-component state otherwise)',
    tag: 'Health',
    auth: 'none',
    responses: { 200: { description: 'Ready', schema: ReadinessSchema }, 503: { description: 'A dependency is down', schema: ReadinessSchema } },
  });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: VERSION });
  });

  router.get('/readyz', async (_req, res) => {
    const check = async (probe: () => Promise<unknown>) => {
      const t0 = performance.now();
      try {
        await withTimeout(probe(), 2_000);
        return { status: 'up' as const, latency_ms: Math.round(performance.now() - t0) };
      } catch (err) {
        return { status: 'down' as const, error: (err as Error).message };
      }
    };
    const [postgres, temporal] = await Promise.all([
      check(() => sql`select 1`.execute(ctx.db)),
      check(() => ctx.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const ready = postgres.status === 'up' && temporal.status === 'up';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', components: { postgres, temporal } });
  });
}
