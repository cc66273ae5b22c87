import { describe, expect, it } from 'vitest';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import { outbound, tollFree, writeRates } from './rating-fixtures.js';

const at = (iso: string) => Date.parse(iso);

async function book(files: Parameters<typeof writeRates>[0]) {
  return (await loadRateBook(writeRates(files))).book;
}

describe('rule 21: outbound longest-prefix match', () => {
  const rows = outbound(
    '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false',
    '447,GB,United Kingdom Mobile,mobile,EUR,0.0300,0,60,60,2025-01-01,false',
    '4477,GB,United Kingdom Mobile 77,mobile,EUR,0.0400,0,60,60,2025-01-01,false',
    '447700900,GB,United Kingdom Drama Range,mobile,EUR,0.0500,0,1,1,2025-01-01,false',
    '449,GB,United Kingdom Premium,premium,EUR,1.5,0,60,60,2025-01-01,false',
    '1,US,United States,landline,USD,0.01,0,60,60,,false',
    '1800,US,US Toll-Free,toll-free,USD,0,0,60,60,,false',
  );

  it.each([
    ['+442079460000', '44'],
    ['442079460000', '44'],
    ['+447400123456', '447'],
    ['+447712345678', '4477'],
    ['+447700900123', '447700900'],
    ['+447700901123', '4477'],
    ['+449012345678', '449'],
    ['+12125550100', '1'],
    ['+18005550100', '1800'],
    ['+44', '44'],
  ])('%s matches prefix %s', async (number, prefix) => {
    expect((await book({ 'outbound.csv': rows })).outbound(number, at('2026-01-01'))?.prefix).toBe(prefix);
  });

  it('has no rate for an unknown destination or a malformed number', async () => {
    const b = await book({ 'outbound.csv': rows });
    expect(b.outbound('+33123456789', at('2026-01-01'))).toBeUndefined();
    expect(b.outbound('+44 20', at('2026-01-01'))).toBeUndefined();
    expect(b.outbound('', at('2026-01-01'))).toBeUndefined();
  });

  it('a row for a prefix shared by two destinations matches the longer, whatever the file order', async () => {
    const reversed = outbound(
      '4477,GB,United Kingdom Mobile 77,mobile,EUR,0.0400,0,60,60,2025-01-01,false',
      '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false',
    );
    expect((await book({ 'outbound.csv': reversed })).outbound('+447712345678', at('2026-01-01'))?.pricePerMinute).toBe(40_000);
  });
});

describe('rule 21: effective dates', () => {
  const rows = outbound(
    '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false',
    '44,GB,United Kingdom,landline,EUR,0.0120,0,60,1,2026-07-01T06:00:00Z,false',
    '447,GB,United Kingdom Mobile,mobile,EUR,0.0300,0,60,60,2026-03-01,false',
  );

  it('switches price at the instant of effective_from', async () => {
    const b = await book({ 'outbound.csv': rows });
    expect(b.outbound('+442079460000', at('2026-07-01T05:59:59.999Z'))?.pricePerMinute).toBe(15_000);
    expect(b.outbound('+442079460000', at('2026-07-01T06:00:00Z'))?.pricePerMinute).toBe(12_000);
    expect(b.outbound('+442079460000', at('2026-07-01T06:00:00Z'))?.subsequentIncrement).toBe(1);
  });

  it('a longer prefix not yet in effect leaves the shorter one serving', async () => {
    const b = await book({ 'outbound.csv': rows });
    expect(b.outbound('+447400123456', at('2026-02-28T23:59:59Z'))?.prefix).toBe('44');
    expect(b.outbound('+447400123456', at('2026-03-01T00:00:00Z'))?.prefix).toBe('447');
  });

  it('nothing is rated before the first row is in effect', async () => {
    expect((await book({ 'outbound.csv': rows })).outbound('+442079460000', at('2024-12-31T23:59:59Z'))).toBeUndefined();
  });
});

describe('rule 21: toll-free rates by caller origin', () => {
  const rows = tollFree(
    '44,GB,*,EUR,0.0300,0,60,60,2025-01-01',
    '447,GB,*,EUR,0.0800,0,1,1,2025-01-01',
    '44,GB,GB,EUR,0.0200,0,60,60,2025-01-01',
    '1,US,*,EUR,0.0250,0,60,60,2025-01-01',
    '1,US,US,EUR,0.0180,0.01,60,6,2025-01-01',
    '447,GB,*,EUR,0.0700,0,1,1,2026-06-01',
  );
  const when = at('2026-01-01');

  it('prices by the origin prefix, the service country row winning at equal length', async () => {
    const b = await book({ 'toll-free.csv': rows });
    expect(b.tollFree('+442079460000', 'GB', when)?.pricePerMinute).toBe(20_000);
    expect(b.tollFree('+442079460000', 'US', when)?.pricePerMinute).toBe(30_000);
    expect(b.tollFree('+12125550100', 'US', when)).toMatchObject({ pricePerMinute: 18_000, connectFee: 10_000, subsequentIncrement: 6, originCountry: 'US' });
    expect(b.tollFree('+12125550100', 'GB', when)?.pricePerMinute).toBe(25_000);
  });

  it('a longer origin prefix on "*" beats a shorter one for the service country', async () => {
    const b = await book({ 'toll-free.csv': rows });
    expect(b.tollFree('+447700900123', 'GB', when)?.originPrefix).toBe('447');
    expect(b.tollFree('+447700900123', 'GB', when)?.pricePerMinute).toBe(80_000);
    expect(b.tollFree('+447700900123', 'GB', at('2026-06-01'))?.pricePerMinute).toBe(70_000);
  });

  it('has no rate for an origin with no row', async () => {
    expect((await book({ 'toll-free.csv': rows })).tollFree('+33123456789', 'GB', when)).toBeUndefined();
  });
});

describe('emergency numbers and Zone A', () => {
  it('emergency numbers are per caller country, "*" for all, as dialed', async () => {
    const b = await book({ 'emergency.csv': 'country,number\nUS,911\nGB,999\nAU,000\n*,112\n' });
    expect(b.isEmergency('US', '911')).toBe(true);
    expect(b.isEmergency('US', 'sip:911@gw.example;user=phone')).toBe(true);
    expect(b.isEmergency('GB', '911')).toBe(false);
    expect(b.isEmergency('GB', '999')).toBe(true);
    expect(b.isEmergency('AU', '000')).toBe(true);
    expect(b.isEmergency('AU', '00')).toBe(false);
    expect(b.isEmergency('FR', '112')).toBe(true);
    expect(b.isEmergency('US', '9110')).toBe(false);
  });

  it('an emergency number of any country is one "anywhere"; nothing else is, so no country needs asking', async () => {
    const b = await book({ 'emergency.csv': 'country,number\nUS,911\nGB,999\nAU,000\n*,112\n' });
    for (const n of ['911', '999', '000', '112', 'sip:999@gw.example;user=phone', 'tel:911']) expect(b.isEmergencyAnywhere(n), n).toBe(true);
    for (const n of ['9110', '00', '2125550100', '+442079460000', '', '11']) expect(b.isEmergencyAnywhere(n), n).toBe(false);
    // Never false where some country says yes: the overload path skips the caller's country on false.
    const countries = ['US', 'GB', 'AU', 'FR', 'DE', 'ZZ'];
    for (const n of ['911', '999', '000', '112', '9110', '0', '1', '99', '9999', '+112', 'sip:112@h']) {
      expect(b.isEmergencyAnywhere(n) || !countries.some((c) => b.isEmergency(c, n)), n).toBe(true);
    }
  });

  it('Zone A is the listed countries', async () => {
    const b = await book({ 'zone-a.csv': 'country,name\nGB,United Kingdom\nDE,Germany\n' });
    expect(b.isZoneA('DE')).toBe(true);
    expect(b.isZoneA('IN')).toBe(false);
  });
});
