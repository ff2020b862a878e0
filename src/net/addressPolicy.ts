import { isIP } from 'node:net';

/**
 * Which destinations Switchboard may deliver to. Private, loopback, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, multicast and unspecified ranges are refused unless the operator allows
 * private networks (local development, tests). Pure: no DNS here; callers pass resolved addresses.
 */
function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

const V4_BLOCKED: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function inV4Range(ip: string, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

/** The 16 bytes of an IPv6 address (`::` expanded, a trailing dotted IPv4 part included). */
function ipv6Bytes(address: string): number[] | undefined {
  let a = address.toLowerCase().replace(/%.*$/, ''); // drop a zone id (fe80::1%eth0)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    a = a.slice(0, v4.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((g) => parseInt(g, 16));
  if (groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function bytesToV4(b: number[]): string {
  return b.join('.');
}

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at: IPv4-mapped (::ffff:a.b.c.d, also
 * written ::ffff:7f00:1), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 * Each is judged by the IPv4 address inside, so ::ffff:7f00:1 is loopback like 127.0.0.1.
 */
function embeddedV4(b: number[]): string | undefined {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return bytesToV4(b.slice(12));
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1)) return bytesToV4(b.slice(12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return bytesToV4(b.slice(12));
  if (b[0] === 0x20 && b[1] === 0x02) return bytesToV4(b.slice(2, 6));
  return undefined;
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return V4_BLOCKED.some(([base, bits]) => inV4Range(address, base, bits));
  if (family === 6) {
    const b = ipv6Bytes(address);
    if (!b) return true; // unparseable: refuse rather than guess
    const inner = embeddedV4(b);
    if (inner !== undefined) return isPrivateAddress(inner);
    if (b.every((x) => x === 0)) return true; // :: unspecified
    if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return true; // ::1 loopback
    if ((b[0]! & 0xfe) === 0xfc) return true; // fc00::/7 unique local
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return true; // fe80::/10 link-local
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
    if (b[0] === 0xff) return true; // multicast
    if (b[0] === 0x01 && b[1] === 0x00 && b.slice(2, 8).every((x) => x === 0)) return true; // 100::/64 discard
    if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return true; // 2001:db8::/32 documentation
    return false;
  }
  return true; // not an IP at all: refuse rather than guess
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Static checks at endpoint creation; delivery re-checks the resolved address at connect time. */
export function checkEndpointUrl(raw: string, allowPrivateNetwork: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'url is not a valid absolute URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'url must not embed credentials' };
  if (url.protocol !== 'https:' && !(allowPrivateNetwork && url.protocol === 'http:')) {
    return { ok: false, reason: 'url must use https' };
  }
  if (allowPrivateNetwork) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    return { ok: false, reason: 'url points at a private or loopback host' };
  }
  if (isIP(host) && isPrivateAddress(host)) return { ok: false, reason: 'url points at a private, loopback or link-local address' };
  return { ok: true, url };
}
