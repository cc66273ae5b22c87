/**
 * Identification headers that cannot be stored (issue 11, item 3b): a
 * conference id with control characters or garbled bytes is a bad INVITE
 * (400), not an outage. Tenant, user and organizer ids are judged by call
 * facts (test/integration/calls-identification.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { PeerConfig } from '../../src/config/schema.js';
import { BadInviteError, identify, type HeaderNames, type InviteView } from '../../src/sip/identify.js';

const names: HeaderNames = {
  tenant: 'X-Tollgate-Tenant',
  user: 'X-Tollgate-User',
  organizer: 'X-Tollgate-Organizer',
  callType: 'X-Tollgate-Call-Type',
  conference: 'X-Tollgate-Conference',
  reason: 'X-Tollgate-Reason',
};
const bridge: PeerConfig = { name: 'bridge', role: 'bridge', addresses: ['10.0.0.1'] };

function invite(headers: Record<string, string>): InviteView {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { uri: 'sip:+442079460000@gw', callId: 'c-1', get: (n) => lower.get(n.toLowerCase()) };
}

describe('conference id header', () => {
  it.each([
    ['garbled bytes', 'm\ufffd\ufffd1'],
    ['an escape', 'm-1\u001b[31m'],
    ['too long', 'm'.repeat(257)],
  ])('refuses %s with 400 naming the header', (_what, value) => {
    const read = () => identify(invite({ 'X-Tollgate-Tenant': 'acme', 'X-Tollgate-Organizer': 'org', 'X-Tollgate-Conference': value }), bridge, names, 1);
    expect(read).toThrow(BadInviteError);
    expect(read).toThrow(/X-Tollgate-Conference must be at most 256 characters of plain text/);
  });

  it('passes a plain one, and leaves tenant and user ids to call facts', () => {
    const setup = identify(invite({ 'X-Tollgate-Tenant': '{x}', 'X-Tollgate-User': 'ann', 'X-Tollgate-Conference': 'Meeting 42 / Zürich' }), bridge, names, 1);
    expect(setup).toMatchObject({ tenantId: '{x}', userId: 'ann', conferenceId: 'Meeting 42 / Zürich' });
  });
});
