import { z } from 'zod';
import type { IdPrefix } from './ids';

/**
 * Wire schemas of resource ids, for path parameters, query filters and body references alike.
 * An id is its prefix, `_` and URL-safe characters (what `newId` makes, with room to spare), so
 * anything else (a NUL byte Postgres text cannot hold, a space, 5,000 characters) is refused at
 * validation and never reaches a query. The pattern is in the OpenAPI document too.
 */
function resourceId(prefix: IdPrefix, what: string) {
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{1,60}$`), `must be ${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} id (${prefix}_…)`)
    .meta({ description: `${what[0]!.toUpperCase()}${what.slice(1)} id (\`${prefix}_…\`)` });
}

export const PartnerId = resourceId('ptn', 'partner');
export const TenantId = resourceId('ten', 'tenant');
export const ApiKeyId = resourceId('key', 'API key');
export const RouteId = resourceId('rte', 'route');
export const EndpointId = resourceId('ep', 'endpoint');
export const EventId = resourceId('evt', 'event');
export const DeliveryId = resourceId('dlv', 'delivery');
export const QuarantineId = resourceId('qtn', 'quarantine');
export const IncidentId = resourceId('inc', 'incident');
export const PortalLinkId = resourceId('plk', 'portal link');
export const SourceId = resourceId('src', 'source');
export const SourceReceiptId = resourceId('srr', 'source receipt');
export const IngestRefusalId = resourceId('irf', 'ingest refusal');

/** A reconciliation run by its id or by its workflow id (scheduled runs have Temporal's own ids). */
export const ReconciliationRunRef = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point of this pattern
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must be a run id (rec_…) or its workflow id, without control characters')
  .meta({ description: 'Run id (`rec_…`) or its workflow id' });
