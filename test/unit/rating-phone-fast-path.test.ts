/**
 * The E.164 fast path of normalizeNumber against libphonenumber asked about
 * every number (normalizeNumberEagerly, the behaviour before the fast path):
 * the same e164, country, validity and number type, looked at in any way.
 */
import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' };
import { getCountries, getCountryCallingCode, getExampleNumber } from 'libphonenumber-js/max';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { normalizeNumber, normalizeNumberEagerly, type NormalizedNumber } from '../../src/rating/phone-number.js';

/** Calling codes of every kind: one country, shared (1, 44, 7, 39, ...), non-geographic (800, 882) and unassigned (999). */
const CALLING_CODES = [...new Set(getCountries().map((c) => getCountryCallingCode(c)))];
const SHARED = ['1', '7', '39', '44', '47', '61', '212', '262', '290', '358', '590', '599'];
const ODD = ['800', '808', '870', '878', '881', '882', '883', '888', '979', '999', '28', '210', '969'];

const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** "+" and 7 to 15 digits, most under a real calling code. */
const e164 = fc
  .tuple(fc.oneof(fc.constantFrom(...CALLING_CODES), fc.constantFrom(...SHARED), fc.constantFrom(...ODD), fc.integer({ min: 1, max: 9 }).map(String)), digits(4, 14))
  .map(([code, rest]) => `+${code}${rest}`.slice(0, 16))
  .filter((n) => n.length >= 8);

/** Everything that can be observed of a result, in one comparable value. */
function observe(n: NormalizedNumber) {
  return {
    json: JSON.stringify(n),
    keys: Object.keys(n),
    spread: { ...n },
    has: ['ok', 'e164', 'country', 'valid', 'numberType', 'reason'].map((k) => k in n),
    values: [n.ok, n.ok ? n.e164 : n.reason, n.ok ? n.country : undefined, n.ok ? n.valid : undefined, n.ok ? n.numberType : undefined],
  };
}

describe('normalizeNumber E.164 fast path', () => {
  it('gives what libphonenumber gives for every number: e164, country, valid, number type, keys', () => {
    fc.assert(
      fc.property(e164, (raw) => {
        const eager = normalizeNumberEagerly(raw);
        const fast = normalizeNumber(raw);
        expect(fast).toStrictEqual(eager);
        expect(observe(normalizeNumber(raw))).toEqual(observe(eager));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers country alone (what admission reads when no rate row says it) as libphonenumber does', () => {
    fc.assert(
      fc.property(e164, (raw) => {
        const eager = normalizeNumberEagerly(raw);
        const fast = normalizeNumber(raw);
        // Read first, before anything makes the result ask libphonenumber about the rest.
        expect(fast.ok && fast.country).toBe(eager.ok && eager.country);
        expect(fast.ok && fast.e164).toBe(raw);
        expect(fast).toEqual(eager);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the sole country of every one-country calling code at every length, as libphonenumber does', () => {
    let sole = 0;
    for (const code of CALLING_CODES) {
      for (let length = 7; length <= 15; length++) {
        for (const fillDigit of ['0', '1', '5', '9']) {
          const raw = `+${code}${fillDigit.repeat(length - code.length)}`;
          if (raw.length - 1 !== length || length <= code.length) continue;
          const eager = normalizeNumberEagerly(raw);
          const country = (normalizeNumber(raw) as { country?: string }).country;
          expect(country, raw).toBe(eager.ok ? eager.country : undefined);
          if (!SHARED.includes(code)) sole++;
        }
      }
    }
    expect(sole).toBeGreaterThan(5000);
  });

  it('leaves every other input to the same steps as before: URIs, separators, 00 and 011, national formats, refusals', () => {
    const country = fc.constantFrom(undefined, 'GB', 'US', 'FR', 'DE', 'AU', 'IN', 'UK', 'gb', 'ZZ');
    const decorated = fc.tuple(e164, fc.constantFrom('', 'sip:', 'tel:', '<sip:', '"A" <sip:'), fc.constantFrom('', '@host', ';user=phone', '@h>')).map(
      ([n, pre, post]) => pre + n + post,
    );
    const dialed = fc.oneof(
      e164,
      decorated,
      e164.map((n) => n.replace('+', '00')),
      e164.map((n) => n.replace('+', '011')),
      e164.map((n) => `${n.slice(0, 4)} ${n.slice(4, 7)}-${n.slice(7)}`),
      digits(0, 17),
      digits(1, 12).map((d) => `0${d}`),
      digits(1, 16).map((d) => `+${d}`),
      fc.constantFrom('', '+', '1-800-FLOWERS', '+44 20 7946 0000 #5', '+0442079460000', 'sip:@host', '911', '112'),
    );
    fc.assert(
      fc.property(dialed, country, (raw, c) => {
        expect(observe(normalizeNumber(raw, c))).toEqual(observe(normalizeNumberEagerly(raw, c)));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives national numbers what libphonenumber gives, country read first or everything at once', () => {
    // Valid numbers of many countries in national format (libphonenumber's own examples), and random digits.
    const countries = getCountries();
    const valid = countries.flatMap((c) => {
      const example = getExampleNumber(c, examples);
      return example ? [{ raw: example.formatNational(), country: c }, { raw: example.nationalNumber, country: c }] : [];
    });
    expect(valid.length).toBeGreaterThan(300);
    const national = fc.oneof(
      fc.constantFrom(...valid),
      fc.record({ raw: fc.oneof(digits(3, 14), digits(3, 12).map((d) => `0${d}`), digits(3, 12).map((d) => `1${d}`)), country: fc.constantFrom(...countries) }),
      fc.record({ raw: digits(6, 12), country: fc.constantFrom('US', 'CA', 'GB', 'FR', 'DE', 'AU', 'IN', 'BR', 'AR', 'MX', 'RU', 'IT', 'JE', 'PR') }),
    );
    fc.assert(
      fc.property(national, ({ raw, country }) => {
        const eager = normalizeNumberEagerly(raw, country);
        const countryFirst = normalizeNumber(raw, country);
        expect(countryFirst.ok && countryFirst.country).toBe(eager.ok && eager.country);
        expect(countryFirst).toStrictEqual(eager);
        expect(observe(normalizeNumber(raw, country))).toEqual(observe(eager));
      }),
      { numRuns: 4000 },
    );
  });

  it('prints as the eager result in console.log (util.inspect looks at the target, not through the proxy)', () => {
    for (const raw of ['+447911123456', '+12125550100', '+33612345678', '+99912345678']) {
      expect(inspect(normalizeNumber(raw))).toBe(inspect(normalizeNumberEagerly(raw)));
      const read = normalizeNumber(raw);
      void (read.ok && read.e164);
      expect(inspect(read)).toBe(inspect(normalizeNumberEagerly(raw)));
    }
  });

  it('behaves as a plain object once written to', () => {
    const fast = normalizeNumber('+447911123456') as Record<string, unknown>;
    const eager = normalizeNumberEagerly('+447911123456') as Record<string, unknown>;
    fast.note = 'x';
    eager.note = 'x';
    expect(fast).toStrictEqual(eager);
    delete fast.numberType;
    delete eager.numberType;
    expect(JSON.stringify(fast)).toBe(JSON.stringify(eager));
  });
});
