import { ConfigError, loadConfig, parseDurationMs } from '../../src/config';

describe('config', () => {
  it('parses durations with units', () => {
    expect(parseDurationMs('250')).toBe(250);
    expect(parseDurationMs('5s')).toBe(5_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('1.5d')).toBe(129_600_000);
    expect(() => parseDurationMs('soon')).toThrow(/not a duration/);
  });

  it('applies documented defaults', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://x/y' });
    expect(c.http.port).toBe(3000);
    expect(c.temporal).toMatchObject({ namespace: 'default', taskQueue: 'switchboard', port: 7233, uiPort: 8233 });
    expect(c.delivery.maxAttempts).toBe(8);
    expect(c.ingest.maxBodyBytes).toBe(1024 * 1024);
    expect(c.allowPrivateNetwork).toBe(false);
  });

  it('names every invalid variable in one error', () => {
    expect.assertions(3);
    expect(() => loadConfig({ PORT: 'eighty', DELIVERY_TIMEOUT: 'fast', SWITCHBOARD_ENCRYPTION_KEY: 'short' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DELIVERY_TIMEOUT: 'fast' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT/);
      expect((err as Error).message).toMatch(/DELIVERY_TIMEOUT/);
    }
  });

  it('HTTP timeouts: documented defaults, positive, and the headers within the request timeout', () => {
    expect(loadConfig({}).http).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
    expect(loadConfig({ HTTP_HEADERS_TIMEOUT: '500ms', HTTP_REQUEST_TIMEOUT: '1s' }).http).toMatchObject({ headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT: must be above zero/);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: '1m', HTTP_REQUEST_TIMEOUT: '30s' })).toThrow(/HTTP_HEADERS_TIMEOUT must not exceed HTTP_REQUEST_TIMEOUT/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '' }).temporal.address).toBeUndefined();
  });
});
