import type { Command } from 'commander';
import { parseDurationMs } from '../config';
import { secretKeyBytes } from '../signing/webhookSecret';
import { CliExitError } from './cliError';
import { startDemoReceiver, type ReceivedDelivery } from './demoReceiver';
import type { CliIO } from './io';
import type { CliEnvironment } from './operatorContext';

interface ReceiveOptions {
  port: string;
  host: string;
  secret: string[];
  tolerance: string;
}

/** One delivery as a block: verdict line, the headers as sent, the body as received. */
export function formatDelivery(d: ReceivedDelivery): string {
  const verdict = d.verdict.valid ? 'VALID signature' : `INVALID ${d.verdict.code}: ${d.verdict.reason}`;
  const lines = [`${d.receivedAt.toISOString()}  ${d.method} ${d.path}  -> ${d.status}  ${verdict}`];
  for (const [name, value] of d.headers) {
    const ts = name === 'webhook-timestamp' && /^\d+$/.test(value) ? `  (${new Date(Number(value) * 1000).toISOString()})` : '';
    lines.push(`  ${name}: ${value}${ts}`);
  }
  lines.push(`  body: ${d.body}`, '');
  return lines.join('\n') + '\n';
}

function parseOptions(opts: ReceiveOptions): { port: number; toleranceMs: number } {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliExitError(`--port must be an integer between 0 and 65535, got ${opts.port}`, 2);
  for (const s of opts.secret) {
    if (secretKeyBytes(s).length === 0) throw new CliExitError('--secret must be a signing secret such as whsec_<base64> (the endpoint\'s "secret")', 2);
  }
  let toleranceMs: number;
  try {
    toleranceMs = parseDurationMs(opts.tolerance);
  } catch (err) {
    throw new CliExitError(`--tolerance: ${(err as Error).message}`, 2);
  }
  return { port, toleranceMs };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerReceiveCommand(program: Command, env: Pick<CliEnvironment, 'io'>): void {
  program
    .command('receive')
    .description('Demo webhook receiver: verifies every delivery like the Standard Webhooks libraries and prints verdict, headers and body')
    .requiredOption('--secret <whsec_…>', "the endpoint's signing secret; repeat it to accept several (e.g. old and new during a rotation)", collect)
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--tolerance <duration>', 'accepted webhook-timestamp skew, as in the official libraries', '5m')
    .addHelpText('after', '\nAnswers 200 to a valid delivery, 400 when a Standard Webhooks header is missing or malformed, 401 when the timestamp is out of tolerance or no signature matches; GET and HEAD answer 200 (a readiness probe). Runs until Ctrl-C.')
    .action(async (opts: ReceiveOptions) => {
      const { port, toleranceMs } = parseOptions(opts);
      await runReceiver(env.io, { host: opts.host, port, secrets: opts.secret, toleranceMs });
    });
}

/**
 * `npx switchboard receive … &` runs under `npm exec` and its `sh -c`: a SIGTERM to npm (`kill %1`
 * without job control, `kill <npx pid>`) ends those two but is not passed on, and the receiver
 * would keep its port, re-parented. It stops when the process that started it is gone.
 */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
}

async function runReceiver(io: CliIO, settings: { host: string; port: number; secrets: string[]; toleranceMs: number }): Promise<void> {
  const receiver = await startDemoReceiver({ ...settings, onDelivery: (d) => io.out(formatDelivery(d)) });
  exitWithParent();
  io.err(
    `listening on ${receiver.url} (any path): verifying Standard Webhooks signatures with ${settings.secrets.length} secret(s), ` +
      `timestamp tolerance ${Math.round(settings.toleranceMs / 1000)} s; Ctrl-C stops\n`,
  );
}
