import { provisionClusterBinaries } from './clusterBinaries';

/**
 * `npm run temporal:provision-cluster`: make sure the full Temporal server, its SQL schema tool
 * and the UI server are built (Go, into ~/.cache/switchboard, first time only) and print where.
 */
provisionClusterBinaries((line) => process.stderr.write(line + '\n'))
  .then((b) => process.stdout.write(`temporal server: ${b.server}\ntemporal-sql-tool: ${b.sqlTool}\ntemporal ui-server: ${b.uiServer}\n`))
  .catch((err: unknown) => {
    process.stderr.write(`provisioning the Temporal cluster binaries failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
