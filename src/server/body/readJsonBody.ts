import type { Request } from 'express';
import { assertJsonContentType, hasRequestBody } from './jsonContentType';
import { readRawBody } from './rawBody';
import { parseStrictJson } from './strictJson';

/**
 * The admin API's request body: JSON in UTF-8 under `limitBytes`, read with the same strict
 * reader as ingest (invalid UTF-8 → 400, never stored as U+FFFD; repeated keys → 422), or
 * `undefined` when the request has none (an empty POST, as `rotate-secret` may be sent).
 */
export async function readJsonBody(req: Request, limitBytes: number): Promise<unknown> {
  if (!hasRequestBody(req.headers)) return undefined;
  assertJsonContentType(req.headers);
  const bytes = await readRawBody(req, limitBytes);
  return bytes.length === 0 ? undefined : parseStrictJson(bytes).value;
}
