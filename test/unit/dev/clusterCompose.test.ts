import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_SERVER_VERSION } from '../../../src/dev/cluster/clusterBinaries';
import { DYNAMIC_CONFIG, HISTORY_SHARDS, renderDynamicConfig, serverConfig, TEMPORAL_DATABASES, TEMPORAL_SCHEMAS, portsFromFrontend } from '../../../src/dev/cluster/serverConfig';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../../src/temporal/searchAttributes';

/**
 * docker-compose.yml and `switchboard start --cluster` describe one topology; this holds them
 * together where text can be compared (no YAML parser: the checks read the lines that matter).
 */
const ROOT = path.resolve(__dirname, '../../..');
const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** The lines of one top-level service block. */
function service(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`no service ${name} in docker-compose.yml`);
  const rest = compose.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}[a-z][\w-]*:\n/);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

const bare = (v: string) => v.replace(/^v/, '');

describe('docker-compose.yml matches cluster mode', () => {
  it('runs the same Temporal server, schema tool and UI versions', () => {
    expect(service('temporal')).toContain(`image: temporalio/server:${bare(TEMPORAL_SERVER_VERSION)}\n`);
    expect(service('temporal-schema')).toContain(`image: temporalio/admin-tools:${bare(TEMPORAL_SERVER_VERSION)}\n`);
    expect(service('temporal-ui')).toContain(`image: temporalio/ui:${bare(TEMPORAL_UI_SERVER_VERSION)}\n`);
  });

  it('gives the server the same shard count and SQL visibility on Postgres', () => {
    expect(service('temporal')).toContain(`NUM_HISTORY_SHARDS: "${HISTORY_SHARDS}"`);
    expect(service('temporal')).toContain('DB: postgres12');
    const local = serverConfig({ postgres: { host: 'h', port: 1, user: 'u', password: 'p' }, ports: portsFromFrontend(7233), dynamicConfigFile: '/d.yaml' });
    expect(local).toMatchObject({ persistence: { numHistoryShards: HISTORY_SHARDS, visibilityStore: 'postgres-visibility' } });
  });

  it('creates and upgrades the same databases with the same embedded schemas', () => {
    const schema = service('temporal-schema');
    for (const kind of ['main', 'visibility'] as const) expect(schema).toContain(`${TEMPORAL_DATABASES[kind]}:${TEMPORAL_SCHEMAS[kind]}`);
    expect(schema).toContain('setup-schema -v 0.0');
    expect(schema).toContain('update-schema --schema-name $$schema');
  });

  it('mounts the committed dynamic config, which is exactly what cluster mode writes', () => {
    const committed = readFileSync(path.join(ROOT, 'deploy/temporal/dynamicconfig.yaml'), 'utf8');
    expect(committed).toBe(renderDynamicConfig());
    for (const key of Object.keys(DYNAMIC_CONFIG)) expect(committed).toContain(`\n${key}:\n`);
    const temporal = service('temporal');
    expect(temporal).toContain('./deploy/temporal/dynamicconfig.yaml:/etc/temporal/config/dynamicconfig/switchboard.yaml:ro');
    expect(temporal).toContain('DYNAMIC_CONFIG_FILE_PATH: config/dynamicconfig/switchboard.yaml');
  });

  it('registers every custom search attribute the workflows use, as Keyword', () => {
    const line = /for a in ([A-Za-z ]+); do/.exec(service('temporal-namespace'));
    expect(line?.[1]?.trim().split(/\s+/).sort()).toEqual(CUSTOM_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(service('temporal-namespace')).toContain('--type Keyword');
  });
});

describe('the dynamic config renderer', () => {
  it('writes one constrained value per key, values as JSON scalars', () => {
    expect(renderDynamicConfig({ 'a.b': true, 'c.d': 3, 'e.f': 'x' })).toBe(
      '# Generated from src/dev/cluster/serverConfig.ts (DYNAMIC_CONFIG); do not edit by hand.\n' +
        'a.b:\n  - value: true\n    constraints: {}\n' +
        'c.d:\n  - value: 3\n    constraints: {}\n' +
        'e.f:\n  - value: "x"\n    constraints: {}\n',
    );
  });

  it('lays the ports out as Temporal samples do, relative to the frontend port', () => {
    expect(portsFromFrontend(7233)).toEqual({
      frontend: 7233,
      history: 7234,
      matching: 7235,
      worker: 7239,
      frontendHttp: 7243,
      frontendMembership: 6933,
      historyMembership: 6934,
      matchingMembership: 6935,
      workerMembership: 6939,
    });
  });
});
