import { createHash } from 'node:crypto';
import { request, type Agent } from 'undici';
import { assertLiteralHostAllowed, USER_AGENT } from '../net/webhookHttpClient';

/**
 * OAuth2 client-credentials tokens for endpoints that ask for them (RFC 6749 §4.4), one cache per
 * worker process: a token is reused until shortly before it expires, fetched again after a 401
 * (once per attempt: see the send stage), and concurrent attempts to the same endpoint share one
 * fetch. Keyed by the endpoint and a hash of its sealed credentials, so changed credentials never
 * reuse an old token. The token request goes through the delivery agent: the same address policy
 * as the delivery itself.
 */
export interface ClientCredentials {
  token_url: string;
  client_id: string;
  client_secret: string;
  scope?: string;
  audience?: string;
}

export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
}

/** A token is refreshed this long before its stated expiry (clock skew, time in flight). */
const EXPIRY_MARGIN_MS = 30_000;
/** When the server states no expires_in. */
const DEFAULT_LIFETIME_MS = 300_000;
const MAX_TOKEN_RESPONSE_BYTES = 16_384;
const MAX_CACHED = 4096;

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

export class OAuth2TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Token requests made (for tests and metrics: how often the cache missed). */
  fetches = 0;

  constructor(
    private readonly agent: Agent,
    private readonly allowPrivateNetwork: boolean,
    private readonly timeoutMs: number,
  ) {}

  static keyFor(endpointId: string, sealed: string): string {
    return `${endpointId}:${createHash('sha256').update(sealed).digest('base64url')}`;
  }

  async token(key: string, creds: ClientCredentials): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAtMs > Date.now()) return cached.token;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const fetching = this.fetchToken(creds)
      .then((t) => {
        if (this.tokens.size >= MAX_CACHED) this.tokens.clear();
        this.tokens.set(key, t);
        return t.token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /** The receiver said 401 to this token: forget it, so the next call fetches a new one. */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) this.tokens.delete(key);
  }

  private async fetchToken(creds: ClientCredentials): Promise<CachedToken> {
    this.fetches++;
    assertLiteralHostAllowed(creds.token_url, this.allowPrivateNetwork);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (creds.scope) form.set('scope', creds.scope);
    if (creds.audience) form.set('audience', creds.audience);
    // client_secret_basic (RFC 6749 §2.3.1): form-encode id and secret, then Basic.
    const basic = Buffer.from(`${encodeURIComponent(creds.client_id)}:${encodeURIComponent(creds.client_secret)}`).toString('base64');
    const res = await request(creds.token_url, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}`, 'user-agent': USER_AGENT },
      body: form.toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await readBounded(res.body);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new TokenRequestError(`token endpoint answered ${res.statusCode}`);
    return parseTokenResponse(text, Date.now());
  }
}

async function readBounded(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
  let buf = Buffer.alloc(0);
  try {
    for await (const chunk of body) {
      buf = Buffer.concat([buf, chunk as Buffer]);
      if (buf.length > MAX_TOKEN_RESPONSE_BYTES) throw new TokenRequestError('token response larger than 16 KiB');
    }
  } finally {
    body.destroy();
  }
  return buf.toString('utf8');
}

/** RFC 6749 §5.1: access_token and token_type "Bearer" (case-insensitive); expires_in in seconds. */
export function parseTokenResponse(text: string, nowMs: number): CachedToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenRequestError('token response is not JSON');
  }
  const r = parsed as { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
  if (typeof r.access_token !== 'string' || !/^[\x21-\x7e]{1,8192}$/.test(r.access_token)) throw new TokenRequestError('token response has no usable access_token');
  if (typeof r.token_type === 'string' && r.token_type.toLowerCase() !== 'bearer') throw new TokenRequestError(`token_type ${r.token_type} is not Bearer`);
  const lifetimeMs = typeof r.expires_in === 'number' && r.expires_in > 0 ? r.expires_in * 1000 : DEFAULT_LIFETIME_MS;
  return { token: r.access_token, expiresAtMs: nowMs + Math.max(0, lifetimeMs - EXPIRY_MARGIN_MS) };
}
