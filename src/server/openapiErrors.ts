import type { OperationSpec } from './operationSpec';

/**
 * The error answers an operation can give by its shape alone, so the document lists every status
 * the server can answer it with (an operation's own `responses` add to these or reword them).
 * 405 is not here: it answers methods a path does not document, never a documented operation.
 */
export function standardErrorResponses(op: OperationSpec): Record<number, string> {
  const keyed = op.auth !== 'none' && op.auth !== 'signature';
  const out: Record<number, string> = {};
  if (op.params || op.body) out[400] = 'A path segment that is not valid percent-encoding, or a body that is not UTF-8 JSON';
  if (keyed) out[401] = 'Missing, unknown or revoked API key';
  if (keyed && op.auth !== 'any') out[403] = "The key's scope may not use this operation";
  if (op.params) out[404] = 'Nothing visible to this key at this path (or a path id that cannot name anything)';
  if (op.body) {
    out[413] = `Body larger than ${op.bodyLimitBytes ?? 1024 * 1024} bytes`;
    out[415] = 'A body that is not application/json (UTF-8)';
  }
  if (op.body || op.query) out[422] = 'The request does not match the schema; `details` names each field';
  if (keyed) out[503] = 'The database is unavailable; retry after Retry-After';
  return out;
}
