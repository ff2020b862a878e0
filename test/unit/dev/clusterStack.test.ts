import { postgresEndpoint, workerMetricsEnv } from '../../../src/dev/cluster/clusterStack';
import { uiServerConfig } from '../../../src/dev/cluster/uiServer';

describe('cluster mode wiring', () => {
  it('reads the Temporal server’s Postgres endpoint from DATABASE_URL, password decoded', () => {
    expect(postgresEndpoint('postgres://postgres:p%40ss%2Fw0rd@127.0.0.1:5503/switchboard')).toEqual({
      host: '127.0.0.1',
      port: 5503,
      user: 'postgres',
      password: 'p@ss/w0rd',
    });
    expect(postgresEndpoint('postgres://u:p@db.internal/switchboard').port).toBe(5432);
  });

  it('gives worker i its own /metrics and SDK exporter ports, two per worker, or none when off', () => {
    expect([0, 1, 2].map((i) => workerMetricsEnv(9464, i))).toEqual([
      { WORKER_METRICS_PORT: '9464', WORKER_SDK_METRICS_PORT: '9465' },
      { WORKER_METRICS_PORT: '9466', WORKER_SDK_METRICS_PORT: '9467' },
      { WORKER_METRICS_PORT: '9468', WORKER_SDK_METRICS_PORT: '9469' },
    ]);
    expect(workerMetricsEnv(0, 1)).toEqual({ WORKER_METRICS_PORT: '0' });
  });

  it('points the UI server at the cluster frontend, on loopback, for the configured namespace', () => {
    expect(uiServerConfig({ port: 8303, temporalAddress: '127.0.0.1:7303', namespace: 'ns' })).toMatchObject({
      temporalGrpcAddress: '127.0.0.1:7303',
      host: '127.0.0.1',
      port: 8303,
      enableUi: true,
      defaultNamespace: 'ns',
    });
  });
});
