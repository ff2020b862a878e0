import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors';

/**
 * The one error shape, `{ "error": { "code", "message", "details" } }`, for every 4xx/5xx the
 * server writes (route errors, unknown routes, 405, and the HTTP parser's own refusals). `details`
 * is always present: `null` when there is nothing to add, a list of `{field, message}` for
 * validation errors, an object otherwise (e.g. `{owner_tenant_id}` on a routing conflict).
 */
export const ErrorDetailsSchema = z
  .union([
    z.null(),
    z.array(z.looseObject({ field: z.string(), message: z.string() })),
    z.record(z.string(), z.unknown()),
  ])
  .meta({ description: 'null; or one {field, message} per offending field (validation); or an object with facts about the error' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: ErrorDetailsSchema,
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof ErrorSchema>;

export function errorBody(code: ErrorCode, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details: (details ?? null) as ErrorBody['error']['details'] } };
}
