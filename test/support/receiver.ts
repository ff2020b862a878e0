import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP endpoint for deliveries. `behave` decides each answer (status, headers,
 * delay, or dropping the connection); every request is recorded with its raw body.
 */
export interface ReceivedRequest {
  n: number;
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Behaviour = (req: ReceivedRequest) => {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Answer only once this settles: the test, not a clock, decides when. */
  hold?: Promise<unknown>;
  destroy?: boolean;
};

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests deduplicated by webhook-id: what a receiver that dedupes would act on. */
  uniqueWebhookIds(): Set<string>;
  setBehaviour(b: Behaviour): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(behave: Behaviour = () => ({ status: 200 })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let behaviour = behave;
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { n: requests.length + 1, at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      waiters.splice(0).forEach((w) => w());
      const answer = behaviour(r);
      const respond = () => {
        if (answer.destroy) {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? 'ok');
      };
      if (answer.hold) void answer.hold.then(respond);
      else if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    uniqueWebhookIds: () => new Set(requests.map((r) => String(r.headers['webhook-id']))),
    setBehaviour(b) {
      behaviour = b;
    },
    async waitFor(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${requests.length} requests, expected ${count}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
