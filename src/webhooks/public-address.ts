import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether a delivery may connect to this IP address: only a public unicast one. Loopback, private,
 * link-local, unique local, multicast, unspecified, carrier-grade NAT, reserved and documentation
 * ranges are not, nor the IPv6 forms that carry an IPv4 address elsewhere (NAT64, 6to4, Teredo);
 * an IPv4-mapped IPv6 address is judged as the IPv4 address it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** Whether a URL's host (as `URL.hostname` gives it) may be delivered to, as far as the name alone tells. */
export function isPublicHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (isIP(host) !== 0) return isPublicAddress(host);
  return host !== 'localhost' && !host.endsWith('.localhost');
}

/** A host name's addresses, as `dns.lookup` with `all` gives them; tests give names addresses of their own. */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A connection refused because the host's address is not one the server delivers to. */
export class AddressNotAllowedError extends Error {
  override name = 'AddressNotAllowedError';
  readonly code = 'ERR_ADDRESS_NOT_ALLOWED';

  constructor(hostname: string) {
    super(`${hostname} resolves to an address deliveries may not go to`);
  }
}

/**
 * The `lookup` of a delivery's connection: the name's addresses, refused unless every one is public
 * (or `allowPrivate`). Checked here, on the very addresses the socket then connects to, a name
 * cannot pass a check and then resolve elsewhere for the connection (DNS rebinding).
 */
export function guardedLookup(resolve: Resolve, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolve(hostname)
      .then((found) => {
        const addresses = found.filter((entry) => !family || entry.family === family);
        const first = addresses[0];
        if (first === undefined)
          throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND', hostname });
        if (!allowPrivate && !addresses.every((entry) => isPublicAddress(entry.address)))
          throw new AddressNotAllowedError(hostname);
        if (options.all) callback(null, [...addresses]);
        else callback(null, first.address, first.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}
