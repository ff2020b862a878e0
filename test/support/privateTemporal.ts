import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { freePort } from './ports';

/**
 * A private Temporal dev server for a test that stops and restarts it (same port, same SQLite
 * file), so the shared dev server keeps serving every other test file.
 */
export async function startPrivateTemporal(label: string): Promise<{ temporal: TemporalDevServer; root: string }> {
  const cli = process.env['SWITCHBOARD_TEST_TEMPORAL_CLI'];
  if (!cli) throw new Error('run through jest: globalSetup provides the Temporal CLI');
  const root = mkdtempSync(path.join(os.tmpdir(), `switchboard-${label}-`));
  const temporal = new TemporalDevServer({
    cliPath: cli,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    dbFile: path.join(root, 'temporal.db'),
    headless: true,
    log: () => undefined,
  });
  await temporal.start();
  return { temporal, root };
}
