import { BlockList, isIP } from 'node:net';
import { parseCidr } from './sourceSchemas';

/**
 * A source's IP / CIDR allowlist. The address checked is the client's as Express computes it
 * (`req.ip`): the socket's peer, or the X-Forwarded-For entry added by the last trusted proxy
 * (TRUSTED_PROXIES). A forwarded header from anyone else is ignored, so it cannot forge a match.
 */
export function ipAllowed(allowlist: readonly string[] | null, ip: string | undefined): { allowed: true } | { allowed: false; reason: string } {
  if (!allowlist) return { allowed: true };
  const address = ip?.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = address ? isIP(address) : 0;
  if (!address || family === 0) return { allowed: false, reason: 'the client address is unknown' };
  const list = new BlockList();
  for (const entry of allowlist) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6') ? { allowed: true } : { allowed: false, reason: `${address} is not in the source's ip_allowlist` };
}
