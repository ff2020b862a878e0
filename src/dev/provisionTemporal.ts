import { resolveTemporalCli } from './temporalCli';

/**
 * `npm run temporal:provision`: make sure a `temporal` CLI is available (building the pinned
 * version with Go into ~/.cache/switchboard on first use) and print where it is.
 */
resolveTemporalCli(undefined, (line) => process.stderr.write(line + '\n'))
  .then((cli) => {
    if (!cli) {
      process.stderr.write('no temporal CLI on PATH and no Go toolchain: npm start will fall back to the SDK download (needs internet)\n');
      return;
    }
    process.stdout.write(`temporal CLI (${cli.source}): ${cli.path}\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`provisioning the Temporal CLI failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
