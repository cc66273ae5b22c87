import { describe, expect, it } from 'vitest';
import { dialedDigits, normalizeNumber, uriUserPart } from '../../src/rating/phone-number.js';

describe('uriUserPart', () => {
  it.each([
    ['sip:+442079460000@gw.example.com;user=phone', '+442079460000'],
    ['sips:+442079460000@gw.example.com:5061', '+442079460000'],
    ['tel:+1-212-555-0100', '+1-212-555-0100'],
    ['tel:+1-212-555-0100;ext=12', '+1-212-555-0100'],
    ['"Ann Smith" <sip:+4915112345678@10.0.0.1>;tag=abc', '+4915112345678'],
    ['<tel:02079460000;phone-context=+44>', '02079460000'],
    ['sip:%2B33123456789@host', '+33123456789'],
    ['SIP:911@host', '911'],
    [' +44 20 7946 0000 ', '+44 20 7946 0000'],
  ])('%s -> %s', (uri, user) => {
    expect(uriUserPart(uri)).toBe(user);
  });

  it('dialedDigits drops visual separators', () => {
    expect(dialedDigits('tel:+1 (212) 555-0100')).toBe('+12125550100');
    expect(dialedDigits('+44.20.7946.0000')).toBe('+442079460000');
  });
});

describe('normalizeNumber', () => {
  it.each([
    ['+442079460000', undefined, '+442079460000', 'GB'],
    ['+44 20-7946.0000', undefined, '+442079460000', 'GB'],
    ['0044 20 7946 0000', undefined, '+442079460000', 'GB'],
    ['011 44 20 7946 0000', undefined, '+442079460000', 'GB'],
    ['011 44 20 7946 0000', 'US', '+442079460000', 'GB'],
    ['0044 20 7946 0000', 'US', '+442079460000', 'GB'],
    ['0011 61 2 9374 4000', 'AU', '+61293744000', 'AU'],
    ['020 7946 0000', 'GB', '+442079460000', 'GB'],
    ['0113 496 0000', 'GB', '+441134960000', 'GB'],
    ['(212) 555-0100', 'US', '+12125550100', 'US'],
    ['tel:+1-787-555-0100', undefined, '+17875550100', 'PR'],
    ['sip:+4915112345678@carrier.example;user=phone', undefined, '+4915112345678', 'DE'],
    ['030 1234567', 'DE', '+49301234567', 'DE'],
    ['06 12 34 56 78', 'FR', '+33612345678', 'FR'],
  ])('%s (default %s) -> %s in %s', (raw, country, e164, cc) => {
    const n = normalizeNumber(raw, country);
    expect(n).toMatchObject({ ok: true, e164, country: cc });
  });

  it('reports the number type libphonenumber knows', () => {
    expect(normalizeNumber('+447911123456')).toMatchObject({ ok: true, valid: true, numberType: 'mobile' });
    expect(normalizeNumber('+442079460000')).toMatchObject({ ok: true, numberType: 'landline' });
    expect(normalizeNumber('+18005550100')).toMatchObject({ ok: true, numberType: 'toll-free' });
    expect(normalizeNumber('+12125550100')).not.toHaveProperty('numberType');
  });

  it('accepts well-formed numbers libphonenumber calls invalid, so the rate table decides', () => {
    expect(normalizeNumber('+4420794600')).toEqual({ ok: true, e164: '+4420794600', valid: false });
    expect(normalizeNumber('+99912345678')).toEqual({ ok: true, e164: '+99912345678', valid: false });
    expect(normalizeNumber('+15550100000')).toMatchObject({ ok: true, e164: '+15550100000', valid: false });
    expect(normalizeNumber('0114 000 000', 'GB')).toMatchObject({ ok: true, e164: '+44114000000', country: 'GB', valid: false });
  });

  it.each([
    ['', 'holds no phone number'],
    ['sip:@host', 'holds no phone number'],
    ['1-800-FLOWERS', 'contains letters'],
    ['+44 20 7946 0000 #5', 'characters other than digits'],
    ['020 7946 0000', 'national format and no country is known; give it as +<country code><number>'],
    ['+0442079460000', 'a country code never starts with 0'],
    ['+44123', 'too short for an international number (5 digits, at least 7)'],
    ['+4412345678901234', 'too long for an international number (16 digits, at most 15)'],
    ['00 44', 'too short'],
  ])('%s is refused: %s', (raw, reason) => {
    const n = normalizeNumber(raw);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.reason).toContain(reason);
  });

  it('refuses a bad default country and too-short national numbers with a reason', () => {
    const bad = normalizeNumber('020 7946 0000', 'UK');
    expect(bad).toEqual({ ok: false, reason: '"UK" is not an ISO 3166-1 alpha-2 country code for national numbers' });
    const short = normalizeNumber('12', 'GB');
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.reason).toContain('too short');
  });
});
