/**
 * Who is on the other end of an INVITE: configured trunks and bridges matched
 * by source address (CIDR) and optional port, and the trunk an outbound call goes to.
 */
import { isIP } from 'node:net';
import type { PeerConfig } from '../config/schema.js';

export interface Route {
  prefix: string;
  trunk: string;
}

/** A parsed CIDR: the network as a bigint and the prefix length, per address family. */
interface Network {
  family: 4 | 6;
  bits: bigint;
  prefixLength: number;
}

export class PeerConfigError extends Error {
  readonly code = 'BAD_PEER_CONFIG';
}

function ipv4ToBigint(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigint(ip: string): bigint {
  // An IPv4 tail ("::ffff:10.0.0.1") becomes two groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigint(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Maps IPv4-mapped IPv6 ("::ffff:127.0.0.1") to its IPv4 form so one CIDR list covers both. */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

export function parseNetwork(cidr: string): Network {
  const [addr = '', lengthText] = cidr.split('/');
  const ip = canonicalAddress(addr);
  const family = isIP(ip);
  if (family !== 4 && family !== 6) throw new PeerConfigError(`"${cidr}" is not an IP address or CIDR`);
  const width = family === 4 ? 32 : 128;
  const prefixLength = lengthText === undefined ? width : Number(lengthText);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > width) {
    throw new PeerConfigError(`"${cidr}": prefix length must be 0..${width}`);
  }
  const bits = family === 4 ? ipv4ToBigint(ip) : ipv6ToBigint(ip);
  return { family, bits: mask(bits, width, prefixLength), prefixLength };
}

function mask(bits: bigint, width: number, prefixLength: number): bigint {
  const hostBits = BigInt(width - prefixLength);
  return (bits >> hostBits) << hostBits;
}

function contains(net: Network, family: 4 | 6, bits: bigint): boolean {
  if (net.family !== family) return false;
  return mask(bits, family === 4 ? 32 : 128, net.prefixLength) === net.bits;
}

export interface PeerTable {
  /** The peer an INVITE from address:port belongs to, or undefined (unknown source). */
  match(address: string, port: number): PeerConfig | undefined;
  /** The trunk peer an outbound call to an E.164 destination is sent to, or undefined when none is configured. */
  trunkFor(destination: string): PeerConfig | undefined;
}

/**
 * Builds the lookup tables once; throws PeerConfigError for a bad address, an
 * unknown trunk name in routes/defaultTrunk or a trunk without a uri.
 */
export function createPeerTable(peers: PeerConfig[], routes: Route[], defaultTrunk?: string): PeerTable {
  const entries = peers.flatMap((peer) => peer.addresses.map((cidr) => ({ peer, net: parseNetwork(cidr) })));
  const byName = new Map(peers.map((p) => [p.name, p]));
  const trunkNamed = (name: string, where: string): PeerConfig => {
    const peer = byName.get(name);
    if (!peer || peer.role !== 'trunk') throw new PeerConfigError(`${where}: "${name}" is not a configured trunk peer`);
    if (!peer.uri) throw new PeerConfigError(`${where}: trunk "${name}" has no uri to send calls to`);
    return peer;
  };
  const sortedRoutes = [...routes]
    .map((r) => ({ prefix: r.prefix, trunk: trunkNamed(r.trunk, `sip.routes[${r.prefix}]`) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const fallback = defaultTrunk === undefined ? undefined : trunkNamed(defaultTrunk, 'sip.defaultTrunk');

  return {
    match(address, port) {
      const ip = canonicalAddress(address);
      const family = isIP(ip);
      if (family !== 4 && family !== 6) return undefined;
      const bits = family === 4 ? ipv4ToBigint(ip) : ipv6ToBigint(ip);
      let best: { peer: PeerConfig; score: number } | undefined;
      for (const { peer, net } of entries) {
        if (peer.port !== undefined && peer.port !== port) continue;
        if (!contains(net, family, bits)) continue;
        // A peer pinned to a port is more specific than any address match without one.
        const score = net.prefixLength + (peer.port !== undefined ? 1000 : 0);
        if (!best || score > best.score) best = { peer, score };
      }
      return best?.peer;
    },
    trunkFor(destination) {
      const digits = destination.replace(/^\+/, '');
      return sortedRoutes.find((r) => digits.startsWith(r.prefix))?.trunk ?? fallback;
    },
  };
}

/** The Request-URI of the next leg: the trunk's URI with the destination as user part. */
export function requestUriFor(trunkUri: string, destination: string): string {
  const m = /^(sips?):(?:[^@]*@)?(.+)$/i.exec(trunkUri);
  if (!m) throw new PeerConfigError(`"${trunkUri}" is not a SIP URI`);
  return `${m[1]!.toLowerCase()}:${destination}@${m[2]}`;
}
