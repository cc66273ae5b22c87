/**
 * The evapi front checks a call setup without zod when it has the shape a
 * platform sends (setupLooksValid); it must never pass what the schema
 * (authorizeBody) refuses or would change, and should pass the usual setup.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizeBody, setupLooksValid } from '../../src/kamailio/control-routes.js';

const text = (min: number, max: number) => fc.string({ minLength: min, maxLength: max });
/** Lengths at and around every bound. */
const edgeText = (max: number) => fc.oneof(text(0, 8), fc.constantFrom(max - 1, max, max + 1).map((n) => 'x'.repeat(Math.max(0, n))));

const valid = fc.record(
  {
    callId: text(1, 40),
    sourceAddress: fc.constantFrom('127.0.0.1', '10.0.0.7', '::1'),
    sourcePort: fc.integer({ min: 0, max: 65535 }),
    requestUri: fc.constantFrom('sip:+442079460000@gw', 'sip:2125550100@10.0.0.1;user=phone'),
    from: fc.constantFrom('<sip:ann@pbx>;tag=1', '"Ann" <sip:+15551234567@pbx>;tag=x'),
    pAssertedIdentity: fc.constantFrom('<sip:+15551234567@pbx>', ''),
    headers: fc.dictionary(fc.constantFrom('X-Tollgate-Tenant', 'X-Tollgate-User', 'x-tollgate-call-type', 'Subject'), text(0, 30)),
  },
  { requiredKeys: ['callId', 'sourceAddress', 'sourcePort', 'requestUri', 'headers'] },
);

/** A valid setup with one thing wrong or odd: a field of another type or size, one missing or extra, odd headers. */
const mutated = fc.tuple(valid, fc.integer({ min: 0, max: 13 }), fc.anything(), edgeText(2048), edgeText(256), edgeText(128)).map(([s, which, any, long, mid, name]) => {
  const v: Record<string, unknown> = { ...s };
  switch (which) {
    case 0: v.callId = any; break;
    case 1: v.callId = mid; break;
    case 2: v.sourcePort = any; break;
    case 3: v.sourcePort = fc.sample(fc.constantFrom(-1, 65536, 1.5, '5060', NaN, Infinity, 5060), 1)[0]; break;
    case 4: v.requestUri = long; break;
    case 5: v.from = any; break;
    case 6: v.pAssertedIdentity = long; break;
    case 7: delete v.headers; break;
    case 8: v.headers = any; break;
    case 9: v.headers = { [name]: 'v' }; break;
    case 10: v.headers = { 'X-A': any }; break;
    case 11: v.extra = any; break;
    case 12: v.headers = JSON.parse('{"__proto__": "x", "X-A": "b"}'); break;
    default: delete v.callId;
  }
  return v;
});

describe('setupLooksValid', () => {
  it('passes only what the schema accepts, and as the schema gives it back', () => {
    fc.assert(
      fc.property(fc.oneof(valid, mutated, fc.anything()), (v) => {
        if (!setupLooksValid(v)) return;
        const parsed = authorizeBody.safeParse(v);
        expect(parsed.success, fc.stringify(v)).toBe(true);
        expect(parsed.data).toStrictEqual(v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('passes the setups a platform sends (every field of its type, headers present)', () => {
    let passed = 0;
    fc.assert(
      fc.property(valid, (v) => {
        if (setupLooksValid(JSON.parse(JSON.stringify(v)))) passed++;
      }),
      { numRuns: 2000 },
    );
    expect(passed).toBe(2000);
  });
});
