import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';

export interface WorkerMetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's `/metrics`: Switchboard's own registry (delivery attempts, dead letters,
 * quarantines, reconciliation — counted in activities, i.e. in this process) followed by the
 * Temporal SDK's metrics (`temporal_*`: task latencies, slots, polls), which the SDK's Rust core
 * serves on a loopback port. One scrape target per worker; if the SDK exporter does not answer,
 * Switchboard's metrics are still served.
 */
export async function startWorkerMetricsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  sdkMetricsUrl?: string;
  logger: Logger;
}): Promise<WorkerMetricsServer> {
  const { registry, sdkMetricsUrl, logger } = opts;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    void (async () => {
      let text = await registry.metrics();
      if (sdkMetricsUrl) {
        try {
          const sdk = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2_000) });
          text += `\n# Temporal SDK metrics (${sdkMetricsUrl})\n` + (await sdk.text());
        } catch (err) {
          logger.warn({ error: (err as Error).message }, 'Temporal SDK metrics exporter did not answer');
          text += `\n# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
        }
      }
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    })().catch((err: unknown) => {
      logger.error({ error: (err as Error).message }, 'worker metrics scrape failed');
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'worker metrics listening on /metrics');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
