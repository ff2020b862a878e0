import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyInbound, type RejectionCode } from '../signing/verifyInbound';

/**
 * `switchboard receive`: a small HTTP endpoint that checks every delivery the way a tenant's
 * receiver should, with the rules of the official Standard Webhooks libraries (webhook-id,
 * webhook-timestamp within the tolerance, any one of the space-separated v1 signatures made with
 * one of its secrets), and reports each one. It answers 200 to a valid delivery, 4xx otherwise, so
 * Switchboard records what a strict receiver would do. GET and HEAD answer 200 without a report
 * (a readiness probe: deliveries are POSTs).
 *
 * The check is the project's own verifier (src/signing/verifyInbound.ts, kept in agreement with
 * the `standardwebhooks` package by its tests) restricted to the Standard Webhooks headers: the
 * `x-signature` fallback it accepts from partners is not part of the standard.
 */
export interface DemoReceiverOptions {
  host: string;
  port: number;
  secrets: readonly string[];
  toleranceMs: number;
  maxBodyBytes?: number;
  now?: () => number;
  onDelivery(delivery: ReceivedDelivery): void;
}

export type Verdict = { valid: true } | { valid: false; code: RejectionCode | 'body_too_large'; reason: string };

export interface ReceivedDelivery {
  receivedAt: Date;
  method: string;
  path: string;
  /** Every header as sent, in order, names lower-cased. */
  headers: Array<[string, string]>;
  body: string;
  verdict: Verdict;
  status: number;
}

export interface RunningDemoReceiver {
  url: string;
  close(): Promise<void>;
}

const STANDARD_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

export function verifyStandardWebhook(
  secrets: readonly string[],
  headers: Record<string, string | undefined>,
  body: Buffer,
  nowMs: number,
  toleranceMs: number,
): Verdict {
  const missing = STANDARD_HEADERS.filter((h) => !headers[h]);
  if (missing.length > 0) return { valid: false, code: 'missing_signature', reason: `missing ${missing.join(', ')}` };
  const standardOnly = Object.fromEntries(STANDARD_HEADERS.map((h) => [h, headers[h]]));
  const result = verifyInbound(secrets, standardOnly, body, nowMs, toleranceMs);
  return result.ok ? { valid: true } : { valid: false, code: result.code, reason: result.reason };
}

/** 400 for a request that is not a signed delivery at all, 401 for one whose signature fails, 413 too large. */
function statusOf(verdict: Verdict): number {
  if (verdict.valid) return 200;
  if (verdict.code === 'body_too_large') return 413;
  if (verdict.code === 'missing_signature' || verdict.code === 'malformed_signature_headers') return 400;
  return 401;
}

function headerPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return pairs;
}

export async function startDemoReceiver(opts: DemoReceiverOptions): Promise<RunningDemoReceiver> {
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const now = opts.now ?? Date.now;

  const server = http.createServer((req, res) => {
    // Deliveries are POSTs; a GET or HEAD is someone checking that the receiver is up.
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('switchboard demo receiver: POST deliveries here\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const single = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      };
      const verdict: Verdict =
        size > maxBodyBytes
          ? { valid: false, code: 'body_too_large', reason: `body is over ${maxBodyBytes} bytes` }
          : verifyStandardWebhook(opts.secrets, Object.fromEntries(STANDARD_HEADERS.map((h) => [h, single(h)])), body, now(), opts.toleranceMs);
      const status = statusOf(verdict);
      opts.onDelivery({
        receivedAt: new Date(now()),
        method: req.method ?? '?',
        path: req.url ?? '/',
        headers: headerPairs(req.rawHeaders),
        body: body.toString('utf8'),
        verdict,
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(verdict.valid ? 'ok\n' : `${verdict.code}: ${verdict.reason}\n`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
