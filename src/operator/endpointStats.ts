import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';

export interface EndpointStatsBucket {
  start: string;
  attempts: number;
  succeeded: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

/**
 * An endpoint's recorded delivery attempts over the last `hours`, per hour (oldest first, every
 * hour present, empty ones with zeros): how many, how many answered 2xx, and the median and 95th
 * percentile of their duration. Computed from delivery_attempts on read; the attempts index on
 * delivery_id keeps it to the endpoint's own rows.
 */
export async function endpointStats(db: Kysely<Database>, endpointId: string, hours: number): Promise<EndpointStatsBucket[]> {
  const rows = await sql<{ start: Date; attempts: string; succeeded: string; p50_ms: number | null; p95_ms: number | null }>`
    with hours as (
      select generate_series(date_trunc('hour', now()) - make_interval(hours => ${hours - 1}), date_trunc('hour', now()), interval '1 hour') as start
    ), attempts as (
      select date_trunc('hour', a.started_at) as start, a.status_code, a.duration_ms
      from delivery_attempts a join deliveries d on d.id = a.delivery_id
      where d.endpoint_id = ${endpointId} and a.started_at >= date_trunc('hour', now()) - make_interval(hours => ${hours - 1})
    )
    select h.start,
           count(a.start) as attempts,
           count(a.start) filter (where a.status_code between 200 and 299) as succeeded,
           percentile_cont(0.5) within group (order by a.duration_ms) as p50_ms,
           percentile_cont(0.95) within group (order by a.duration_ms) as p95_ms
    from hours h left join attempts a on a.start = h.start
    group by h.start order by h.start`.execute(db);
  return rows.rows.map((r) => ({
    start: new Date(r.start).toISOString(),
    attempts: Number(r.attempts),
    succeeded: Number(r.succeeded),
    p50_ms: r.p50_ms === null ? null : Math.round(Number(r.p50_ms)),
    p95_ms: r.p95_ms === null ? null : Math.round(Number(r.p95_ms)),
  }));
}
