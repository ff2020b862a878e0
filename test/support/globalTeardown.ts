import { rmSync } from 'node:fs';
import type { LocalPostgres } from '../../src/dev/embeddedPostgres';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>)['__switchboardTestServers'] as
    | { pgServer: LocalPostgres; temporal: { stop(): Promise<void> }; root: string }
    | undefined;
  if (!servers) return;
  // Temporal first: the cluster server keeps its data in that Postgres.
  await servers.temporal.stop().catch(() => undefined);
  await servers.pgServer.stop();
  rmSync(servers.root, { recursive: true, force: true });
}
