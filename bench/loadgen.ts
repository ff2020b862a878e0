import autocannon from 'autocannon';
import { createHmac, randomBytes } from 'node:crypto';

/**
 * Load generator, run as its own process so it does not share an event loop with what it
 * measures. Every request is a unique, correctly signed event (Standard Webhooks headers).
 * argv: url secretBase64 rate durationSeconds connections
 * Prints one JSON line: { requests, non2xx, errors, rps, p50, p90, p99, cpuMs }.
 */
const [url, secretB64, rateArg, durationArg, connectionsArg] = process.argv.slice(2);
const key = Buffer.from(secretB64!, 'base64');
const run = randomBytes(4).toString('hex');
let n = 0;

function signedRequest(req: autocannon.Request): autocannon.Request {
  n++;
  const body = JSON.stringify({
    event: n % 10 === 0 ? 'call.ended' : 'call.started',
    call_id: `bench-${run}-${n}`,
    occurred_at: new Date().toISOString(),
    runtime_vars: { crm_account_id: 'bench-crm' },
    data: { agent_id: 'agent-7', direction: 'inbound', note: 'x'.repeat(200) },
  });
  const id = `msg_${run}_${n}`;
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return {
    ...req,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
  };
}

const instance = autocannon(
  {
    url: url!,
    connections: Number(connectionsArg ?? 32),
    duration: Number(durationArg ?? 8),
    overallRate: Number(rateArg),
    requests: [{ setupRequest: signedRequest }],
  },
  (err, result) => {
    if (err) {
      process.stderr.write(String(err) + '\n');
      process.exit(1);
    }
    process.stdout.write(
      JSON.stringify({
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        rps: result.requests.total / Number(durationArg ?? 8),
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        // Its own CPU (signing + HTTP): on a 2-core machine it shares the cores with what it measures.
        cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      }) + '\n',
    );
  },
);
process.on('SIGTERM', () => instance.stop());
