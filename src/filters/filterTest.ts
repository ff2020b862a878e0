import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema';
import { NotFoundError, ValidationError } from '../errors';
import { EventId } from '../idSchemas';
import { compileFilter, InvalidFilterError } from './compileFilter';
import { filterDocumentSql, filterMatchesSql } from './filterDocument';
import { PayloadFilterSchema } from './filterSchema';

/** "Would this filter let this event through?" — answered by the same compiled path and SQL as planning. */
export const FilterTestBody = z
  .strictObject({
    filter: PayloadFilterSchema,
    event: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'A sample event document: {type, call_id, data, runtime_vars, …} as a filter sees it' }),
    event_id: EventId.optional().meta({ description: 'An event of this tenant (its stored payload is used)' }),
  })
  .refine((b) => (b.event === undefined) !== (b.event_id === undefined), { message: 'send exactly one of event or event_id' })
  .meta({ id: 'FilterTest' });

export const FilterTestResultSchema = z
  .object({
    matches: z.boolean().meta({ description: 'An endpoint with this filter would get a delivery of this event' }),
    document: z.record(z.string(), z.unknown()).meta({ description: 'What the filter was evaluated against' }),
  })
  .meta({ id: 'FilterTestResult' });

export async function testFilter(
  db: Kysely<Database>,
  tenantId: string,
  body: z.infer<typeof FilterTestBody>,
): Promise<z.infer<typeof FilterTestResultSchema>> {
  let path: string | null;
  try {
    path = compileFilter(body.filter);
  } catch (err) {
    if (err instanceof InvalidFilterError) throw new ValidationError(`invalid filter: ${err.message}`, [{ field: `filter${err.at ? '.' + err.at : ''}`, message: err.message }]);
    throw err;
  }
  const document = body.event_id
    ? sql`(select ${filterDocumentSql('fe', tenantId)} from events fe where fe.id = ${body.event_id} and fe.tenant_id = ${tenantId})`
    : sql`${JSON.stringify(body.event)}::jsonb`;
  const matches = path === null ? sql<boolean>`true` : filterMatchesSql(document, sql`${path}::jsonpath`);
  let rows: Array<{ document: Record<string, unknown> | null; matches: boolean }>;
  try {
    ({ rows } = await sql<{ document: Record<string, unknown> | null; matches: boolean }>`select ${document} as document, ${matches} as matches`.execute(db));
  } catch (err) {
    // Data exceptions (class 22): JSON Postgres cannot hold, e.g. a NUL or an unpaired surrogate in the sample event.
    if (String((err as { code?: unknown }).code ?? '').startsWith('22')) {
      throw new ValidationError('event is not JSON Postgres can evaluate (a NUL character or an unpaired surrogate?)', [{ field: 'event', message: 'unsupported JSON text' }]);
    }
    throw err;
  }
  const row = rows[0]!;
  if (row.document === null) throw new NotFoundError('event');
  return { matches: row.matches, document: row.document };
}
