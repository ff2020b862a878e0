import type { IncomingHttpHeaders } from 'node:http';
import { UnsupportedMediaTypeError } from '../../errors';

/**
 * Request bodies are JSON in UTF-8 and nothing else: `application/json` or a `+json` type
 * (`application/cloudevents+json`), with no charset or `charset=utf-8`. A body declared as
 * text/plain, form data, XML or UTF-16 is refused (415) rather than read as if it were JSON,
 * which would answer something the sender did not mean with a misleading 422 — or accept it.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [mediaType, ...params] = header.split(';');
  const type = mediaType!.trim().toLowerCase();
  if (type !== 'application/json' && !(type.startsWith('application/') && type.endsWith('+json'))) return false;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

/** Whether the request carries a body at all (a declared length above zero, or chunked). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

export function assertJsonContentType(headers: IncomingHttpHeaders): void {
  if (isJsonContentType(headers['content-type'])) return;
  const given = headers['content-type'];
  throw new UnsupportedMediaTypeError(
    given ? `content-type ${JSON.stringify(given)} is not accepted: send application/json (UTF-8)` : 'a request body needs content-type: application/json',
  );
}
