import { BadRequestError, ValidationError } from '../../errors';
import { scanJson } from './jsonScan';

/** Deeper JSON is refused (422) before anything recursive parses it; real requests are shallow. */
export const MAX_JSON_DEPTH = 64;

/** Why a body was refused, for ingest's rejection `reason` label. */
export type JsonRefusalReason = 'invalid_encoding' | 'invalid_json' | 'too_deep' | 'duplicate_key';

export class InvalidJsonBodyError extends BadRequestError {
  constructor(
    readonly reason: JsonRefusalReason,
    message: string,
  ) {
    super(message, null, 'invalid_json');
  }
}

export class JsonShapeError extends ValidationError {
  constructor(
    readonly reason: JsonRefusalReason,
    message: string,
    details: Array<{ field: string; message: string }>,
  ) {
    super(message, details);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The one reading of a JSON request body, shared by ingest and the admin API: strict UTF-8 (never
 * a silent U+FFFD), JSON.parse, then one scan of the text for nesting depth and repeated keys.
 * Returns the text too: ingest stores and verifies the exact text it parsed.
 */
export function parseStrictJson(bytes: Buffer): { text: string; value: unknown } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidJsonBodyError('invalid_encoding', 'request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonBodyError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  const finding = scanJson(text, MAX_JSON_DEPTH);
  if (finding?.kind === 'too_deep') {
    throw new JsonShapeError('too_deep', `request body nests deeper than ${MAX_JSON_DEPTH} levels`, [
      { field: '(body)', message: `nesting deeper than ${MAX_JSON_DEPTH}` },
    ]);
  }
  if (finding?.kind === 'duplicate_key') {
    throw new JsonShapeError('duplicate_key', `request body repeats the key ${JSON.stringify(finding.key)} (at ${finding.path})`, [
      { field: finding.path, message: `duplicate key ${JSON.stringify(finding.key)}` },
    ]);
  }
  return { text, value };
}
