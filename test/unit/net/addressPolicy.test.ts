import fc from 'fast-check';
import { checkEndpointUrl, isPrivateAddress } from '../../../src/net/addressPolicy';

/** The SSRF address rule: every spelling of a private/loopback/metadata address is refused. */
describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '0:0:0:0:0:0:0:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1', // the same, as WHATWG URL normalises [::ffff:127.0.0.1]
    '::ffff:a9fe:a9fe', // 169.254.169.254 mapped
    '::ffff:10.0.0.1',
    '::127.0.0.1', // IPv4-compatible
    '::7f00:1',
    '64:ff9b::7f00:1', // NAT64 to loopback
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:a9fe:a9fe::1',
    '2001:db8::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1'])(
    'allows the public address %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it('judges an IPv4-mapped IPv6 address exactly like its IPv4 address (both spellings)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const n = v4.split('.').map(Number);
        const hex = `::ffff:${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`;
        expect(isPrivateAddress(`::ffff:${v4}`)).toBe(isPrivateAddress(v4));
        expect(isPrivateAddress(hex)).toBe(isPrivateAddress(v4));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkEndpointUrl (creation time)', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://2130706433/hook', // decimal IPv4, normalised by URL to 127.0.0.1
    'https://0x7f.1/hook',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/latest/meta-data',
    'https://169.254.169.254/latest/meta-data',
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://metadata.google.internal/',
    'http://example.com/hook', // plain http
    'https://user:pw@example.com/hook',
  ])('refuses %s without private networks', (url) => {
    expect(checkEndpointUrl(url, false).ok).toBe(false);
  });

  it('accepts a public https URL, and private ones only when allowed', () => {
    expect(checkEndpointUrl('https://hooks.example.com/x', false).ok).toBe(true);
    expect(checkEndpointUrl('http://127.0.0.1:8080/x', true).ok).toBe(true);
  });
});
