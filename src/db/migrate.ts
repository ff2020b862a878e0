import { Kysely, Migrator, type Migration, type MigrationResultSet } from 'kysely';
import * as m0001 from './migrations/0001_initial';
import * as m0002 from './migrations/0002_test_event_source';
import * as m0005 from './migrations/0005_reconciliation';
import * as m0007 from './migrations/0007_outbox_claims';
import * as m0006 from './migrations/0006_retention';
import * as m0008 from './migrations/0008_circuit_window';
import * as m0009 from './migrations/0009_sources';
import * as m0010 from './migrations/0010_endpoint_delivery_options';
import * as m0011 from './migrations/0011_operator_signals';
import * as m0012 from './migrations/0012_console_sessions';
import * as m0013 from './migrations/0013_source_traces';
import * as m0014 from './migrations/0014_ingest_refusals';
import * as m0015 from './migrations/0015_operations_endpoints';
import * as m0016 from './migrations/0016_attempt_request_headers';
import * as m0017 from './migrations/0017_delivery_log_order';

/**
 * Migrations are imported statically (not read from a folder at run time) so the same list works
 * under tsx, compiled JS and jest. Add new ones here in order.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_test_event_source': m0002,
  '0005_reconciliation': m0005,
  '0006_retention': m0006,
  '0007_outbox_claims': m0007,
  '0008_circuit_window': m0008,
  '0009_sources': m0009,
  '0010_endpoint_delivery_options': m0010,
  '0011_operator_signals': m0011,
  '0012_console_sessions': m0012,
  '0013_source_traces': m0013,
  '0014_ingest_refusals': m0014,
  '0015_operations_endpoints': m0015,
  '0016_attempt_request_headers': m0016,
  '0017_delivery_log_order': m0017,
};

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
