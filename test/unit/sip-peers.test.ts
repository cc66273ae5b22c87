import { describe, expect, it } from 'vitest';
import type { PeerConfig } from '../../src/config/schema.js';
import { createPeerTable, parseNetwork, PeerConfigError, requestUriFor } from '../../src/sip/peers.js';

const peers: PeerConfig[] = [
  { name: 'bridge-lan', role: 'bridge', addresses: ['10.0.0.0/8'] },
  { name: 'bridge-host', role: 'bridge', addresses: ['10.1.2.3'] },
  { name: 'loop-bridge', role: 'bridge', addresses: ['127.0.0.1'], port: 5071 },
  { name: 'loop-carrier', role: 'trunk', addresses: ['127.0.0.0/8'], port: 5072, uri: 'sip:127.0.0.1:5090' },
  { name: 'carrier-uk', role: 'trunk', addresses: ['198.51.100.0/24'], uri: 'sip:198.51.100.7:5060;transport=tcp' },
  { name: 'carrier-us', role: 'trunk', addresses: ['2001:db8::/32'], uri: 'sip:gw@203.0.113.9' },
];

describe('peer matching by source address and port', () => {
  const table = createPeerTable(peers, [], undefined);

  it('prefers the longest CIDR match', () => {
    expect(table.match('10.1.2.3', 5060)?.name).toBe('bridge-host');
    expect(table.match('10.9.9.9', 5060)?.name).toBe('bridge-lan');
  });

  it('tells apart peers sharing one address by their port', () => {
    expect(table.match('127.0.0.1', 5071)?.name).toBe('loop-bridge');
    expect(table.match('127.0.0.1', 5072)?.name).toBe('loop-carrier');
    expect(table.match('127.0.0.1', 5073)).toBeUndefined();
  });

  it('matches IPv6 networks and IPv4-mapped IPv6 sources', () => {
    expect(table.match('2001:db8:0:1::5', 5060)?.name).toBe('carrier-us');
    expect(table.match('2001:db9::1', 5060)).toBeUndefined();
    expect(table.match('::ffff:198.51.100.20', 5060)?.name).toBe('carrier-uk');
  });

  it('finds no peer for unknown or unparsable sources', () => {
    expect(table.match('192.0.2.1', 5060)).toBeUndefined();
    expect(table.match('not-an-ip', 5060)).toBeUndefined();
  });

  it('rejects a bad address with a message naming it', () => {
    expect(() => parseNetwork('10.0.0.0/33')).toThrow(/prefix length must be 0..32/);
    expect(() => parseNetwork('300.1.1.1')).toThrow(PeerConfigError);
  });
});

describe('outbound routing to a trunk', () => {
  it('takes the longest destination prefix, else the default trunk', () => {
    const table = createPeerTable(
      peers,
      [
        { prefix: '44', trunk: 'carrier-uk' },
        { prefix: '1', trunk: 'carrier-us' },
        { prefix: '4420', trunk: 'loop-carrier' },
      ],
      'carrier-uk',
    );
    expect(table.trunkFor('+442071234567')?.name).toBe('loop-carrier');
    expect(table.trunkFor('+447700900123')?.name).toBe('carrier-uk');
    expect(table.trunkFor('12125550100')?.name).toBe('carrier-us');
    expect(table.trunkFor('+33123456789')?.name).toBe('carrier-uk');
  });

  it('routes nowhere without routes or default trunk', () => {
    expect(createPeerTable(peers, []).trunkFor('+33123456789')).toBeUndefined();
  });

  it('refuses routes naming a bridge, an unknown peer or a trunk without uri', () => {
    expect(() => createPeerTable(peers, [{ prefix: '1', trunk: 'bridge-lan' }])).toThrow(/"bridge-lan" is not a configured trunk/);
    expect(() => createPeerTable(peers, [], 'nobody')).toThrow(/sip.defaultTrunk: "nobody"/);
    const noUri: PeerConfig[] = [{ name: 't', role: 'trunk', addresses: ['192.0.2.1'] }];
    expect(() => createPeerTable(noUri, [], 't')).toThrow(/has no uri/);
  });

  it('puts the destination in the user part of the trunk URI', () => {
    expect(requestUriFor('sip:198.51.100.7:5060;transport=tcp', '+442071234567')).toBe(
      'sip:+442071234567@198.51.100.7:5060;transport=tcp',
    );
    expect(requestUriFor('sip:gw@203.0.113.9', '+12125550100')).toBe('sip:+12125550100@203.0.113.9');
    expect(() => requestUriFor('http://x', '+1')).toThrow(PeerConfigError);
  });
});
