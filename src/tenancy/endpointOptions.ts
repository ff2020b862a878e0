import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database, Endpoint } from '../db/schema';
import { patchDeliveryAuth, sealDeliveryAuth, unsealDeliveryAuth, NO_DELIVERY_AUTH } from '../delivery/deliveryAuth';
import { ValidationError } from '../errors';
import { compileFilter, InvalidFilterError } from '../filters/compileFilter';
import type { PayloadFilter } from '../filters/filterSchema';
import type { EndpointAuthInput } from './endpointAuthSchemas';

/** The delivery options of a create or update body (issue 20): all optional; null clears. */
export interface DeliveryOptionsInput {
  headers?: Record<string, string> | null;
  auth?: EndpointAuthInput | null;
  filter?: PayloadFilter | null;
  retry_schedule_seconds?: number[] | null;
  max_attempts?: number | null;
}

/** Endpoint columns the options write. Only what the body named is present. */
export interface DeliveryOptionColumns {
  delivery_auth_sealed?: string | null;
  delivery_auth_summary?: string | null;
  payload_filter?: string | null;
  payload_filter_path?: string | null;
  retry_schedule_seconds?: number[] | null;
  max_attempts?: number | null;
}

/**
 * Validates and turns the options into columns: the filter compiled (and parsed by Postgres, so a
 * path the database would refuse is a 422 here, not a failed write), headers and auth sealed
 * together (a PATCH of one keeps the other), and an explicit retry schedule setting max_attempts
 * unless the body sets it too.
 */
export async function deliveryOptionColumns(
  db: Kysely<Database>,
  box: SecretBox,
  input: DeliveryOptionsInput,
  current?: Pick<Endpoint, 'delivery_auth_sealed'>,
): Promise<DeliveryOptionColumns> {
  const columns: DeliveryOptionColumns = {};
  if (input.filter !== undefined) Object.assign(columns, await filterColumns(db, input.filter));
  if (input.headers !== undefined || input.auth !== undefined) {
    const stored = current ? unsealDeliveryAuth(box, current.delivery_auth_sealed) : NO_DELIVERY_AUTH;
    const { sealed, summary } = sealDeliveryAuth(box, patchDeliveryAuth(stored, input));
    columns.delivery_auth_sealed = sealed;
    columns.delivery_auth_summary = summary ? JSON.stringify(summary) : null;
  }
  Object.assign(columns, retryColumns(input));
  return columns;
}

async function filterColumns(db: Kysely<Database>, filter: PayloadFilter | null): Promise<DeliveryOptionColumns> {
  let path: string | null;
  try {
    path = compileFilter(filter);
  } catch (err) {
    if (err instanceof InvalidFilterError) throw new ValidationError(`invalid filter: ${err.message}`, [{ field: `filter${err.at ? '.' + err.at : ''}`, message: err.message }]);
    throw err;
  }
  if (path === null) return { payload_filter: null, payload_filter_path: null };
  await assertPathParses(db, path);
  return { payload_filter: JSON.stringify(filter), payload_filter_path: path };
}

/** The compiler's output always parses (test/integration/payloadFilterProperties.test.ts); this keeps a 5xx impossible if it ever did not. */
async function assertPathParses(db: Kysely<Database>, path: string): Promise<void> {
  try {
    await sql`select ${path}::jsonpath`.execute(db);
  } catch {
    throw new ValidationError('invalid filter: it does not compile to a valid path', [{ field: 'filter', message: 'unsupported filter' }]);
  }
}

function retryColumns(input: DeliveryOptionsInput): DeliveryOptionColumns {
  if (input.retry_schedule_seconds === undefined) return {};
  if (input.retry_schedule_seconds === null) return { retry_schedule_seconds: null };
  // A schedule alone sets the budget (one attempt per delay, plus the first); with max_attempts
  // in the same body both are kept: fewer attempts stop early, more repeat the last delay.
  const maxAttempts = input.max_attempts === undefined ? { max_attempts: input.retry_schedule_seconds.length + 1 } : {};
  return { retry_schedule_seconds: input.retry_schedule_seconds, ...maxAttempts };
}
