import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provisionClusterBinaries } from '../../src/dev/cluster/clusterBinaries';
import { postgresEndpoint } from '../../src/dev/cluster/clusterStack';
import { TEMPORAL_DATABASES, TEMPORAL_SCHEMAS, type PostgresEndpoint } from '../../src/dev/cluster/serverConfig';
import { runSqlTool, schemaVersion, setupTemporalSchemas } from '../../src/dev/cluster/temporalSchema';
import { freePort } from '../support/ports';
import { PrivatePostgres } from '../support/privatePostgres';

/**
 * Temporal's schemas as cluster mode manages them (temporalSchema.ts), with the real
 * temporal-sql-tool on a real Postgres: created from nothing, left alone when current, and
 * upgraded when the databases hold an older schema version (what a newer server binary meets).
 */
describe('Temporal schema setup with temporal-sql-tool', () => {
  let postgres: PrivatePostgres;
  let endpoint: PostgresEndpoint;
  let sqlTool: string;
  let root: string;

  beforeAll(async () => {
    sqlTool = (await provisionClusterBinaries((l) => process.stderr.write(l + '\n'))).sqlTool;
    root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-temporal-schema-'));
    postgres = new PrivatePostgres(path.join(root, 'pg'), await freePort());
    endpoint = postgresEndpoint(await postgres.start());
  }, 900_000);
  afterAll(async () => {
    await postgres?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('upgrades databases left at older schema versions to the binary’s, then does nothing', async () => {
    // What an older server release would have left: the databases at 1.17 and 1.8 (the 1.29.1
    // binary carries 1.18 and 1.9; a new TEMPORAL_SERVER_VERSION updates these figures).
    const older = { main: '1.17', visibility: '1.8' } as const;
    for (const kind of ['main', 'visibility'] as const) {
      const database = TEMPORAL_DATABASES[kind];
      await runSqlTool(sqlTool, endpoint, database, ['create-database', '--defaultdb', 'postgres']);
      await runSqlTool(sqlTool, endpoint, database, ['setup-schema', '-v', '0.0']);
      await runSqlTool(sqlTool, endpoint, database, ['update-schema', '--schema-name', TEMPORAL_SCHEMAS[kind], '--version', older[kind]]);
      expect(await schemaVersion(endpoint, database)).toBe(older[kind]);
    }

    const lines: string[] = [];
    const upgraded = await setupTemporalSchemas(sqlTool, endpoint, (l) => lines.push(l));
    expect(upgraded).toEqual([
      { database: 'temporal', before: '1.17', after: '1.18' },
      { database: 'temporal_visibility', before: '1.8', after: '1.9' },
    ]);
    expect(lines).toEqual(['Temporal schema temporal: 1.17 → 1.18', 'Temporal schema temporal_visibility: 1.8 → 1.9']);

    const again = await setupTemporalSchemas(sqlTool, endpoint, () => undefined);
    expect(again.map((r) => [r.before, r.after])).toEqual([
      ['1.18', '1.18'],
      ['1.9', '1.9'],
    ]);
  });
});
