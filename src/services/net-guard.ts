import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard of server-side fetches (link previews): which URLs and
 * addresses the server may connect to on a user's behalf. A message's link
 * is chosen by its sender, so without this a user could make the server read
 * its own admin ports, the cloud metadata service (169.254.169.254) or
 * anything on the private network, and see the answer in the preview.
 *
 * Rules, unless `allowPrivate` (tests, or a deployment that previews
 * intranet pages on purpose):
 * - only public unicast addresses: ipaddr.js names every special range
 *   (loopback, private, link-local, unique-local, multicast, CGNAT,
 *   reserved, documentation, 6to4/Teredo/NAT64 that embed IPv4, …) and only
 *   its plain `unicast` is allowed; an IPv4-mapped IPv6 address is judged as
 *   the IPv4 address it maps to;
 * - a host name is refused when ANY of its addresses is refused (no choosing
 *   the good one of a name that also points inside);
 * - only ports 80 and 443: a public host's other ports are where mail, admin
 *   and database services listen, and a page worth previewing is on the web
 *   ports.
 * Always: http and https only, no credentials in the URL.
 *
 * The caller connects to the address `resolve` returned, never to the name
 * again: a second DNS answer (rebinding) between the check and the connect
 * cannot send the connection elsewhere.
 */

export type Lookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** Why an address or port may not be connected to, or null when it may. */
export type AddressPolicy = (address: string, port: number) => string | null;

export interface NetGuardOptions {
  allowPrivate: boolean;
  /** DNS (default: the system resolver, every address of the name). */
  lookup?: Lookup;
  /** Replaces the address rule (tests: pretend one loopback address is the public internet). */
  policy?: AddressPolicy;
}

/** A fetch the guard refused; nothing was connected to. */
export class BlockedError extends Error {
  constructor(reason: string) {
    super(`refused: ${reason}`);
    this.name = 'BlockedError';
  }
}

export interface PinnedTarget {
  url: URL;
  /** The checked address to connect to (IPv6 without brackets). */
  address: string;
  family: 4 | 6;
  port: number;
  /** The host name for TLS (SNI and the certificate check); null for an address literal. */
  servername: string | null;
}

const WEB_PORTS = new Set([80, 443]);

/** The range that refuses `address` ('loopback', 'private', …), or null for a public unicast address. */
export function refusedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

/** The rule without `allowPrivate`: public unicast addresses on the web ports. */
export const publicWebOnly: AddressPolicy = (address, port) => {
  const range = refusedRange(address);
  if (range) return `${address} is ${range}`;
  if (!WEB_PORTS.has(port)) return `port ${port} is not 80 or 443`;
  return null;
};

const systemLookup: Lookup = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export class NetGuard {
  private readonly lookup: Lookup;
  private readonly policy: AddressPolicy | null;

  constructor(opts: NetGuardOptions) {
    this.lookup = opts.lookup ?? systemLookup;
    this.policy = opts.policy ?? (opts.allowPrivate ? null : publicWebOnly);
  }

  /** The URL parsed and checked for its form (scheme, credentials), before any lookup. */
  parse(raw: string | URL): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new BlockedError('not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlockedError(`scheme ${url.protocol}`);
    if (url.username || url.password) throw new BlockedError('credentials in the URL');
    return url;
  }

  /**
   * Resolves the URL's host once and checks every address; the first is the
   * one to connect to. Throws BlockedError when refused; a lookup failure
   * throws the resolver's error. Gives up when `signal` aborts.
   */
  async resolve(raw: string | URL, signal?: AbortSignal): Promise<PinnedTarget> {
    const url = this.parse(raw);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = net.isIP(host);
    const addresses = literal ? [{ address: host, family: literal }] : await abortable(this.lookup(host), signal);
    if (addresses.length === 0) throw new BlockedError(`${host} has no address`);
    for (const a of addresses) {
      const why = this.policy?.(a.address, port);
      if (why) throw new BlockedError(literal ? why : `${host}: ${why}`);
    }
    const first = addresses[0];
    return { url, address: first.address, family: first.family === 6 ? 6 : 4, port, servername: literal ? null : host };
  }
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
