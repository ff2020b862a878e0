import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The one URL of cluster mode: a small reverse proxy in the launcher spreading requests over the N
 * `switchboard server` processes (round robin over those that are up). Chosen over printing N
 * ports because partners configure one webhook URL, and because it is what production puts in
 * front of the servers (a load balancer), so the fault "one API server dies" looks as it does
 * there: requests in flight on the dead server fail (503 in the error shape, Retry-After: 1; a
 * partner retries), new requests go to the live ones, and the restarted server rejoins at once.
 *
 * It streams bodies both ways and adds nothing but X-Forwarded-For/-Proto; it never retries a
 * request itself (a POST that may have reached the dead server is the partner's to retry, and
 * ingest is idempotent by event key).
 */
export interface ApiProxy {
  url: string;
  /** Requests answered 503 because their backend failed, by backend URL (for tests and logs). */
  failures: Map<string, number>;
  close(): Promise<void>;
}

export interface ApiProxyOptions {
  host: string;
  port: number;
  /** The URLs of the API servers that are up right now (asked per request). */
  backends: () => string[];
}

const UNAVAILABLE = (message: string) => JSON.stringify({ error: { code: 'unavailable', message, details: null } });

export async function startApiProxy(options: ApiProxyOptions): Promise<ApiProxy> {
  let next = 0;
  const failures = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const backends = options.backends();
    if (backends.length === 0) return refuse(res, 'no API server is up; retry later');
    const backend = backends[next++ % backends.length]!;
    forward(req, res, backend, () => failures.set(backend, (failures.get(backend) ?? 0) + 1));
  });
  // Keep-alive sockets from clients outlive single requests; close() must not wait for them.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function forward(req: http.IncomingMessage, res: http.ServerResponse, backend: string, onFailure: () => void): void {
  const target = new URL(req.url ?? '/', backend);
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = http.request(
    target,
    { method: req.method, headers: { ...req.headers, 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'http' }, agent },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.headers);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    },
  );
  upstream.on('error', () => {
    onFailure();
    if (res.headersSent) res.destroy();
    else refuse(res, 'the API server handling this request went away; retry');
  });
  req.on('aborted', () => upstream.destroy());
  req.pipe(upstream);
}

function refuse(res: http.ServerResponse, message: string): void {
  const body = UNAVAILABLE(message);
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
