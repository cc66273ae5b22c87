import { describe, expect, it } from 'vitest';
import { RejectCode } from '../../src/domain.js';
import { byeReason, rejection, warningText } from '../../src/sip/responses.js';

describe('reject code to SIP response', () => {
  it.each([
    ['NO_FUNDS', 402],
    ['POLICY', 403],
    ['NO_LICENCE', 403],
    ['NO_RATE', 403],
    ['PREMIUM_BLOCKED', 403],
    ['UNKNOWN_PEER', 403],
    ['UNKNOWN_TENANT', 403],
    ['UNKNOWN_USER', 403],
    ['UNKNOWN_NUMBER', 404],
    ['MALFORMED_NUMBER', 484],
    ['UNAVAILABLE', 503],
    ['DRAINING', 503],
  ] as const)('%s -> %i with the reason header', (code, status) => {
    const r = rejection(code, 'X-Tollgate-Reason', 30);
    expect(r.status).toBe(status);
    expect(r.phrase.length).toBeGreaterThan(0);
    expect(r.headers['X-Tollgate-Reason']).toBe(code);
    expect(r.headers['Retry-After']).toBe(status === 503 ? '30' : undefined);
  });

  it('covers every reject code', () => {
    for (const code of Object.values(RejectCode)) expect(rejection(code, 'X-R', 5).headers['X-R']).toBe(code);
  });

  it('states the end reason in the BYE Reason header', () => {
    expect(byeReason('credit_exhausted')).toBe('Q.850;cause=16;text="credit_exhausted"');
  });

  it('quotes a human message safely in a Warning header', () => {
    expect(warningText('no rate for "+999"\nsee rates\\outbound.csv')).toBe(`399 tollgate "no rate for '+999' see rates'outbound.csv"`);
  });
});
