import type { z } from 'zod';
import type { BasicVerification, TokenVerification } from '../sourceSchemas';
import { anyMatches, refuse, sameSecret, type SourceVerdict, type VerifyInput } from './verdict';

/** HTTP Basic: the configured username and any active secret as the password. */
export function verifyBasic(config: z.infer<typeof BasicVerification>, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const header = input.headers['authorization'];
  const match = header ? /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header) : null;
  if (!match) return refuse('missing_signature', 'missing Authorization: Basic <base64 of username:password>');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return refuse('malformed_signature_headers', 'Basic credentials are not username:password');
  const userOk = sameSecret(decoded.slice(0, colon), config.username);
  const passwordOk = anyMatches(secrets, (s) => sameSecret(decoded.slice(colon + 1), s));
  return userOk && passwordOk ? { ok: true } : refuse('invalid_credentials', 'wrong username or password');
}

/** A static token: `Authorization: Bearer <token>`, or the whole value of another named header. */
export function verifyToken(config: z.infer<typeof TokenVerification>, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const name = config.header.toLowerCase();
  const header = input.headers[name];
  let token: string | undefined;
  if (name === 'authorization') token = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  else token = header?.trim() || undefined;
  if (token === undefined) {
    return refuse('missing_signature', name === 'authorization' ? 'missing Authorization: Bearer <token>' : `missing ${config.header} header`);
  }
  return anyMatches(secrets, (s) => sameSecret(token, s)) ? { ok: true } : refuse('invalid_credentials', `the token in ${config.header} is not valid`);
}
