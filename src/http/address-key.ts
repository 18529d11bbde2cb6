import { isIPv6 } from 'node:net';

/**
 * The key a client address is counted under: an IPv4 address as it is (also when it comes
 * IPv4-mapped, `::ffff:192.0.2.1`), an IPv6 address by its /56 network, the block one subscriber
 * usually gets, so that a client cannot escape its limit by moving within its own prefix.
 */
export function addressKey(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const groups = ipv6Groups(ip);
  const fourth = (groups[3]! & 0xff00).toString(16);
  return `${groups
    .slice(0, 3)
    .map((group) => group.toString(16))
    .join(':')}:${fourth}::/56`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail as two groups). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0]!; // a zone (`fe80::1%eth0`) is not part of the address
  const ipv4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (groups: string | undefined) => (groups ? groups.split(':') : []);
  const missing = 8 - part(head).length - part(tail).length;
  const zeros = tail === undefined ? [] : Array.from({ length: missing }, () => '0');
  return [...part(head), ...zeros, ...part(tail)].map((group) => parseInt(group, 16));
}
