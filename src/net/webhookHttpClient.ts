import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { SendError } from '../domain/attemptOutcome';
import { VERSION } from '../version';
import { isPrivateAddress } from './addressPolicy';

export const USER_AGENT = `Switchboard/${VERSION}`;

/**
 * The outbound HTTP client for every webhook Switchboard sends (deliveries and incident
 * webhooks). It is not an activity: the worker builds one agent and the activities share it.
 *
 * The address check runs inside the socket's DNS lookup, so the IP that is checked is the IP
 * that is dialled: a hostname that re-resolves to 10.x or 169.254.169.254 after the endpoint was
 * created (DNS rebinding) is refused at delivery time too.
 */
export class DestinationForbiddenError extends Error {
  override name = 'DestinationForbiddenError';
}

/**
 * The policy each agent was created with. Node dials IP-literal hosts without any DNS lookup, so
 * the lookup hook above never sees `http://127.0.0.1/` or `http://[::1]/`; sendWebhook checks
 * literal hosts against the same policy before dialling.
 */
const privateNetworkAllowed = new WeakMap<Agent, boolean>();

export function createDeliveryAgent(allowPrivateNetwork: boolean): Agent {
  const agent = new Agent({
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    connect: {
      lookup(hostname, options, callback) {
        dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, '', 4);
          const list = addresses as unknown as LookupAddress[];
          if (!allowPrivateNetwork) {
            const bad = list.find((a) => isPrivateAddress(a.address));
            if (bad) return callback(new DestinationForbiddenError(`${hostname} resolves to a private address (${bad.address})`), '', 4);
          }
          const first = list[0];
          if (!first) return callback(new Error(`${hostname} did not resolve`), '', 4);
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
          callback(null, first.address, first.family);
        });
      },
    },
  });
  privateNetworkAllowed.set(agent, allowPrivateNetwork);
  return agent;
}

/** Refuses a URL whose host is a private IP literal (the case the DNS hook cannot see). */
export function assertLiteralHostAllowed(url: string, allowPrivateNetwork: boolean): void {
  if (allowPrivateNetwork) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host)) {
    throw new DestinationForbiddenError(`${host} is a private, loopback or link-local address`);
  }
}

export interface SendResult {
  status: number;
  bodyPreview: string;
  retryAfter?: string;
}

const PREVIEW_BYTES = 1024;

/** One POST; no redirects followed (a 3xx is an answer, not a detour). Throws on network errors. */
export async function sendWebhook(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  assertLiteralHostAllowed(url, privateNetworkAllowed.get(agent) ?? false);
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await request(url, {
    method: 'POST',
    headers,
    body,
    dispatcher: agent,
    signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  // Read at most the preview, then drop the rest: a huge response must not cost memory.
  let preview = Buffer.alloc(0);
  try {
    for await (const chunk of res.body) {
      preview = Buffer.concat([preview, chunk as Buffer]);
      if (preview.length >= PREVIEW_BYTES) break;
    }
  } finally {
    res.body.destroy();
  }
  const retryAfter = res.headers['retry-after'];
  return {
    status: res.statusCode,
    bodyPreview: preview.subarray(0, PREVIEW_BYTES).toString('utf8'),
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  };
}

/** What a failed send said, for classifyAttempt (src/domain/attemptOutcome.ts). */
export function describeSendError(err: unknown): SendError {
  const e = err as Error & { cause?: Error; code?: string };
  return {
    name: e.name,
    code: e.code,
    message: e.message,
    causeMessage: e.cause?.message,
    forbidden: e instanceof DestinationForbiddenError || e.cause instanceof DestinationForbiddenError,
  };
}
