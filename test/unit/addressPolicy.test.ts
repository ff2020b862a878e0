import { assertLiteralHostAllowed } from '../../src/net/webhookHttpClient';
import { checkEndpointUrl, isPrivateAddress } from '../../src/net/addressPolicy';

describe('delivery address policy', () => {
  it.each([
    '10.1.2.3',
    '127.0.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it('endpoint URLs: https only, no credentials, no private hosts unless allowed', () => {
    expect(checkEndpointUrl('https://hooks.example.com/x', false).ok).toBe(true);
    expect(checkEndpointUrl('http://hooks.example.com/x', false)).toMatchObject({ ok: false, reason: 'url must use https' });
    expect(checkEndpointUrl('https://user:pw@hooks.example.com/', false)).toMatchObject({ ok: false });
    expect(checkEndpointUrl('https://localhost/x', false)).toMatchObject({ ok: false });
    expect(checkEndpointUrl('https://169.254.169.254/latest', false)).toMatchObject({ ok: false });
    expect(checkEndpointUrl('https://[::1]/x', false)).toMatchObject({ ok: false });
    expect(checkEndpointUrl('not a url', false)).toMatchObject({ ok: false });
    // Local development and tests deliver to 127.0.0.1 over http.
    expect(checkEndpointUrl('http://127.0.0.1:8080/hook', true).ok).toBe(true);
  });
});

describe('literal hosts at delivery time', () => {
  it.each(['http://127.0.0.1:8080/x', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest'])(
    'refuses %s unless private networks are allowed',
    (url) => {
      expect(() => assertLiteralHostAllowed(url, false)).toThrow(/private, loopback or link-local/);
      expect(() => assertLiteralHostAllowed(url, true)).not.toThrow();
    },
  );

  it('leaves public literals and hostnames to the DNS-time check', () => {
    expect(() => assertLiteralHostAllowed('https://93.184.216.34/', false)).not.toThrow();
    expect(() => assertLiteralHostAllowed('https://example.com/', false)).not.toThrow();
  });
});
