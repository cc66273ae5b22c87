import { describe, expect, it } from 'vitest';
import type { PeerConfig } from '../../src/config/schema.js';
import { BadInviteError, forwardedHeaders, identify, userPart, type HeaderNames, type InviteView } from '../../src/sip/identify.js';

const names: HeaderNames = {
  tenant: 'X-Tollgate-Tenant',
  user: 'X-Tollgate-User',
  organizer: 'X-Tollgate-Organizer',
  callType: 'X-Tollgate-Call-Type',
  conference: 'X-Tollgate-Conference',
  reason: 'X-Tollgate-Reason',
};
const bridge: PeerConfig = { name: 'bridge', role: 'bridge', addresses: ['10.0.0.1'] };
const trunk: PeerConfig = { name: 'carrier', role: 'trunk', addresses: ['198.51.100.1'], uri: 'sip:198.51.100.1' };

function invite(uri: string, headers: Record<string, string>): InviteView {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { uri, callId: 'c-1', get: (n) => lower.get(n.toLowerCase()) };
}

describe('user parts of SIP and tel URIs', () => {
  it.each([
    ['sip:+442071234567@gw.example;user=phone', '+442071234567'],
    ['sips:02071234567@10.0.0.1:5061', '02071234567'],
    ['tel:+1-212-555-0100;phone-context=+1', '+1-212-555-0100'],
    ['"Alice" <sip:+15551230000@pbx.example>;tag=abc', '+15551230000'],
    ['<tel:911>', '911'],
    ['sip:0800%20123@host', '0800 123'],
    ['sip:12345;isub=7@host', '12345'],
  ])('%s -> %s', (value, expected) => {
    expect(userPart(value)).toBe(expected);
  });

  it('has none for a URI without user or an empty value', () => {
    expect(userPart('sip:gw.example')).toBeUndefined();
    expect(userPart('')).toBeUndefined();
    expect(userPart(undefined)).toBeUndefined();
  });
});

describe('identify', () => {
  it('reads payer headers from a bridge and the dialed number from the Request-URI', () => {
    const setup = identify(
      invite('sip:02071234567@gw', {
        'X-Tollgate-Tenant': 't42',
        'x-tollgate-user': 'u7',
        'X-Tollgate-Call-Type': 'conf_out',
        'X-Tollgate-Organizer': 'o1',
        'X-Tollgate-Conference': 'm-9',
        From: '<sip:+442070000001@bridge>;tag=1',
      }),
      bridge,
      names,
      1000,
    );
    expect(setup).toEqual({
      callId: 'c-1',
      direction: 'outbound',
      dialed: '02071234567',
      receivedAtMs: 1000,
      callerNumber: '+442070000001',
      tenantId: 't42',
      userId: 'u7',
      callType: 'conf_out',
      organizerId: 'o1',
      conferenceId: 'm-9',
    });
  });

  it('prefers P-Asserted-Identity over From for the caller', () => {
    const setup = identify(
      invite('sip:911@gw', { From: '<sip:anonymous@anonymous.invalid>', 'P-Asserted-Identity': '<sip:+15550001111@pbx>' }),
      bridge,
      names,
      1,
    );
    expect(setup.callerNumber).toBe('+15550001111');
    expect(setup.tenantId).toBeUndefined();
  });

  it('never trusts payer headers from a trunk; inbound calls carry caller and dialed only', () => {
    const setup = identify(
      invite('sip:+18005550100@gw', { 'X-Tollgate-Tenant': 'victim', From: '<sip:+442071112222@carrier>' }),
      trunk,
      names,
      1,
    );
    expect(setup).toEqual({ callId: 'c-1', direction: 'inbound', dialed: '+18005550100', callerNumber: '+442071112222', receivedAtMs: 1 });
  });

  it('uses the configured header names', () => {
    const custom = { ...names, tenant: 'X-Acme-Account' };
    const setup = identify(invite('sip:1@gw', { 'X-Acme-Account': 'a1', 'X-Tollgate-Tenant': 'other' }), bridge, custom, 1);
    expect(setup.tenantId).toBe('a1');
  });

  it('refuses an unknown call type and a Request-URI without a number, naming the problem', () => {
    expect(() => identify(invite('sip:1@gw', { 'X-Tollgate-Call-Type': 'free_call' }), bridge, names, 1)).toThrow(
      /X-Tollgate-Call-Type must be user_out or conf_out, got "free_call"/,
    );
    expect(() => identify(invite('sip:gw.example', {}), bridge, names, 1)).toThrow(BadInviteError);
  });
});

describe('headers forwarded to the next leg', () => {
  it('never include an internal header, even when one is configured with a standard name', () => {
    const list = forwardedHeaders({ ...names, tenant: 'Subject' });
    expect(list).toContain('P-Asserted-Identity');
    expect(list).not.toContain('Subject');
    expect(list.some((h) => /^x-tollgate-/i.test(h))).toBe(false);
  });
});
