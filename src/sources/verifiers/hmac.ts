import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { HmacVerification } from '../sourceSchemas';
import { anyMatches, checkTimestamp, refuse, safeEqual, type SourceVerdict, type VerifyInput } from './verdict';

type HmacConfig = z.infer<typeof HmacVerification>;

/** The signatures (decoded bytes) and the timestamp a signature header carries. */
interface SignatureHeader {
  signatures: Buffer[];
  timestamp?: string;
}

function decodeSignature(text: string, encoding: HmacConfig['encoding']): Buffer | undefined {
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/**
 * `value`: the whole header (after the prefix) is one signature. `key_value_list`: `t=…,v1=…,v1=…`
 * as Stripe writes it; every `signature_key` entry is a signature (several during a rotation).
 */
function readSignatureHeader(config: HmacConfig, header: string): SignatureHeader | string {
  if (config.header_format === 'value') {
    if (!header.startsWith(config.prefix)) return `${config.header} must start with ${JSON.stringify(config.prefix)}`;
    const signature = decodeSignature(header.slice(config.prefix.length).trim(), config.encoding);
    return signature ? { signatures: [signature] } : `${config.header} is not a ${config.encoding} signature`;
  }
  const out: SignatureHeader = { signatures: [] };
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === config.timestamp_key) out.timestamp = value;
    else if (key === config.signature_key) {
      const signature = decodeSignature(value, config.encoding);
      if (signature) out.signatures.push(signature);
    }
  }
  if (out.signatures.length === 0) return `${config.header} has no ${config.signature_key}=<${config.encoding} signature> entry`;
  return out;
}

/** What is signed: the body, or `{timestamp}{separator}{body}`; a refusal when the timestamp is missing or stale. */
function signedContent(config: HmacConfig, parsed: SignatureHeader, input: VerifyInput): Buffer | SourceVerdict {
  if (config.signed === 'body') return input.body;
  const fromList = config.header_format === 'key_value_list' && !config.timestamp_header;
  const text = fromList ? parsed.timestamp : input.headers[config.timestamp_header!.toLowerCase()];
  const what = fromList ? `the ${config.timestamp_key}= timestamp of ${config.header}` : `${config.timestamp_header} header`;
  const ts = checkTimestamp(text, what, input.nowMs, config.tolerance_seconds);
  if (typeof ts !== 'number') return ts;
  return Buffer.concat([Buffer.from(`${text}${config.separator}`, 'utf8'), input.body]);
}

/** Generic HMAC keyed with each secret's UTF-8 bytes (as GitHub, Stripe, Shopify… key theirs). */
export function verifyHmac(config: HmacConfig, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const header = input.headers[config.header.toLowerCase()];
  if (header === undefined) return refuse('missing_signature', `missing ${config.header} header`);
  const parsed = readSignatureHeader(config, header);
  if (typeof parsed === 'string') return refuse('malformed_signature_headers', parsed);
  const content = signedContent(config, parsed, input);
  if (!Buffer.isBuffer(content)) return content;
  const expected = secrets.map((s) => createHmac(config.algorithm, Buffer.from(s, 'utf8')).update(content).digest());
  const matched = anyMatches(parsed.signatures, (given) => anyMatches(expected, (e) => safeEqual(e, given)));
  return matched ? { ok: true } : refuse('signature_mismatch', `no signature in ${config.header} matches`);
}
