import { rmSync } from 'node:fs';
import type { LocalPostgres } from '../../src/dev/embeddedPostgres';
import type { TemporalDevServer } from '../../src/dev/temporalDevServer';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>)['__switchboardTestServers'] as
    | { pgServer: LocalPostgres; temporal: TemporalDevServer; root: string }
    | undefined;
  if (!servers) return;
  await Promise.allSettled([servers.temporal.stop(), servers.pgServer.stop()]);
  rmSync(servers.root, { recursive: true, force: true });
}
