import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';

const base = { http: { adminToken: 'a-long-enough-admin-token' } };
const peers = [
  { name: 'bridge', role: 'bridge', addresses: ['10.0.0.0/24'] },
  { name: 'carrier', role: 'trunk', addresses: ['198.51.100.7'], port: 5080, uri: 'sip:198.51.100.7:5080' },
];

function problems(sip: unknown): string[] {
  try {
    validateConfig({ ...base, sip }, 'test.yaml');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('sip configuration', () => {
  it('accepts peers with ports, routes and a default trunk', () => {
    const config = validateConfig({ ...base, sip: { peers, routes: [{ prefix: '44', trunk: 'carrier' }], defaultTrunk: 'carrier' } }, 'x');
    expect(config.sip.peers[1]?.port).toBe(5080);
    expect(config.sip.headers.reason).toBe('X-Tollgate-Reason');
    expect(config.drachtio.listenHost).toBe('127.0.0.1');
  });

  it('names routes and default trunks that are no trunk peer', () => {
    expect(problems({ peers, routes: [{ prefix: '1', trunk: 'bridge' }], defaultTrunk: 'nobody' })).toEqual([
      'sip.routes[0].trunk: "bridge" is not a trunk in sip.peers',
      'sip.defaultTrunk: "nobody" is not a trunk in sip.peers',
    ]);
  });

  it('refuses a routed trunk without uri, a duplicate peer name and a bad header name', () => {
    const found = problems({
      peers: [...peers, { name: 'bridge', role: 'trunk', addresses: ['192.0.2.1'] }],
      defaultTrunk: 'bridge',
      headers: { tenant: 'X Tenant' },
    });
    expect(found).toContain('sip.peers[2].name: peer name "bridge" is used twice');
    expect(found).toContain('sip.peers[2].uri: trunk "bridge" is routed to but has no uri');
    expect(found).toContain('sip.headers.tenant: "X Tenant" is not a SIP header name (letters, digits, -)');
  });

  it('refuses addresses that are no IP or CIDR', () => {
    const found = problems({ peers: [{ name: 'p', role: 'bridge', addresses: ['300.1.1.1', '10.0.0.0/33', '2001:db8::/48'] }] });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^sip\.peers\[0\]\.addresses\[0\]: an IPv4\/IPv6 address/);
    expect(found[1]).toMatch(/^sip\.peers\[0\]\.addresses\[1\]: /);
  });
});
