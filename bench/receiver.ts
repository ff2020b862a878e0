import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretKeyBytes } from '../src/signing/webhookSecret';

export interface Arrival {
  at: number;
  receivedAt: number;
}

/**
 * The bench's webhook receiver: verifies every delivery's X-Signature and records first arrival
 * per webhook-id. It can hold its answers (the memory phase keeps deliveries open so that events
 * pile up in flight) until released.
 */
export class BenchReceiver {
  readonly arrivals = new Map<string, Arrival>();
  duplicates = 0;
  badSignatures = 0;
  url = '';
  private server?: http.Server;
  private keys: Buffer[] = [];
  private holding = false;
  private held: Array<() => void> = [];
  private maxHoldMs = 0;

  setSecrets(secrets: string[]) {
    this.keys = secrets.map(secretKeyBytes);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Anything but a delivery envelope (a stray probe of the port) is refused and not counted:
        // a real delivery mangled on the way then shows up as lost.
        if (!this.record(req, Buffer.concat(chunks))) {
          res.writeHead(400).end('not a delivery');
          return;
        }
        const answer = () => {
          if (!res.headersSent) res.writeHead(200).end('ok');
        };
        if (this.holding) {
          this.held.push(answer);
          // Never past the sender's timeout, which runs from before the request waited for one of
          // the sender's connections: a held answer that timed out would be retried (a duplicate).
          // So the hold ends maxHoldMs after the signature's timestamp (whole seconds, floored),
          // not after arrival.
          const signedAt = Number(req.headers['webhook-timestamp']) * 1000;
          const until = Number.isFinite(signedAt) ? Math.min(signedAt, Date.now()) + this.maxHoldMs : Date.now() + this.maxHoldMs;
          setTimeout(answer, Math.max(0, until - Date.now())).unref();
        } else answer();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Counts one delivery; false when the body is not a delivery envelope at all. */
  private record(req: http.IncomingMessage, body: Buffer): boolean {
    let envelope: { received_at: string };
    try {
      envelope = JSON.parse(body.toString('utf8')) as { received_at: string };
    } catch {
      return false;
    }
    const sig = String(req.headers['x-signature'] ?? '');
    const ok = this.keys.some((k) => sig === 'sha256=' + createHmac('sha256', k).update(body).digest('hex'));
    if (!ok) this.badSignatures++;
    const id = String(req.headers['webhook-id']);
    if (this.arrivals.has(id)) this.duplicates++;
    else this.arrivals.set(id, { at: Date.now(), receivedAt: Date.parse(envelope.received_at) });
    return true;
  }

  /** From now on, answers wait for release(), each at most maxHoldMs after it was signed. */
  hold(maxHoldMs: number): void {
    this.holding = true;
    this.maxHoldMs = maxHoldMs;
  }

  get heldCount(): number {
    return this.held.length;
  }

  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  reset() {
    this.arrivals.clear();
    this.duplicates = 0;
    this.badSignatures = 0;
  }

  /**
   * Waits until every one of `ids` arrived, or none of them arrived for `stallMs` (then whatever
   * is missing counts as lost): slow is not lost, only stuck is. Counted by id, not by arrivals:
   * a late delivery of an earlier phase's event (a retry) must not stand in for one of these.
   */
  async waitFor(ids: Iterable<string>, stallMs: number): Promise<void> {
    const expected = [...ids];
    const arrived = () => expected.reduce((n, id) => n + (this.arrivals.has(id) ? 1 : 0), 0);
    let last = arrived();
    let lastProgress = Date.now();
    while (last < expected.length && Date.now() - lastProgress < stallMs) {
      await new Promise((r) => setTimeout(r, 100));
      const now = arrived();
      if (now !== last) {
        last = now;
        lastProgress = Date.now();
      }
    }
  }

  close() {
    this.release();
    this.server?.closeAllConnections();
    this.server?.close();
  }
}
