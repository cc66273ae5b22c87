import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RateLoadError } from '../../src/rating/rate-errors.js';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import { OUTBOUND_HEADER, outbound, tollFree, writeRates, type RateFiles } from './rating-fixtures.js';

/** Loads files that must be rejected; returns the problem lines with the temp dir replaced by "rates". */
async function problems(files: RateFiles): Promise<string[]> {
  const dir = writeRates(files);
  try {
    await loadRateBook(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(RateLoadError);
    expect((err as RateLoadError).code).toBe('BAD_RATES');
    return (err as RateLoadError).problems.map((p) => p.toString().replace(dir, 'rates'));
  }
  throw new Error('the rate files were accepted');
}

const GB = '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false';

describe('rate files: sample', () => {
  it('the shipped sample loads, with at least 25 countries and every kind of row', async () => {
    const { book, rows } = await loadRateBook('rates');
    expect(book.outboundCountries()).toBeGreaterThanOrEqual(25);
    const out = book.tables.outbound;
    for (const t of ['landline', 'mobile', 'toll-free', 'premium'] as const) expect(out.some((r) => r.numberType === t)).toBe(true);
    expect(out.some((r) => r.numberType === 'premium' && r.premiumAllowed)).toBe(true);
    expect(out.filter((r) => r.numberType === 'premium' && !r.premiumAllowed).length).toBeGreaterThan(5);
    for (const [i, s] of [[60, 60], [60, 1], [30, 6], [1, 1]]) {
      expect(out.some((r) => r.initialIncrement === i && r.subsequentIncrement === s)).toBe(true);
    }
    expect(out.some((r) => r.effectiveFrom > Date.now())).toBe(true);
    expect(rows['toll-free.csv']).toBeGreaterThan(10);
    expect(book.isEmergency('US', '911')).toBe(true);
    expect(book.isZoneA('GB')).toBe(true);
    expect(book.version).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('rate files: validation names file, line and column', () => {
  it('bad price', async () => {
    expect(await problems({ 'outbound.csv': outbound(GB, '33,FR,France,landline,EUR,"0,12",0,60,60,2025-01-01,false') })).toEqual([
      'rates/outbound.csv:3: column "price_per_minute": "0,12" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)',
    ]);
  });

  it('missing column', async () => {
    const header = OUTBOUND_HEADER.replace(',price_per_minute', '');
    expect(await problems({ 'outbound.csv': `# sample\n${header}\n44,GB,UK,landline,EUR,0,60,60,2025-01-01,false\n` })).toEqual([
      'rates/outbound.csv:2: column "price_per_minute": missing column in the header',
    ]);
  });

  it('unknown and repeated columns', async () => {
    const p = await problems({ 'outbound.csv': `${OUTBOUND_HEADER},colour,country\n` });
    expect(p).toEqual([
      'rates/outbound.csv:1: column "colour": unknown column; expected prefix, country, destination, number_type, currency, price_per_minute, connection_fee, initial_increment, subsequent_increment, effective_from, premium_allowed, band',
      'rates/outbound.csv:1: column "country": column appears twice in the header',
    ]);
  });

  it('duplicate prefix and effective date', async () => {
    const p = await problems({ 'outbound.csv': outbound(GB, '447,GB,UK Mobile,mobile,EUR,0.03,0,60,60,2025-01-01,false', '44,GB,United Kingdom,landline,EUR,0.0160,0,60,60,2025-01-01T00:00:00Z,false') });
    expect(p).toEqual(['rates/outbound.csv:4: column "prefix": duplicate of line 2: prefix 44 with the same effective_from']);
  });

  it('bad date', async () => {
    expect(await problems({ 'outbound.csv': outbound('44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-02-30,false') })).toEqual([
      'rates/outbound.csv:2: column "effective_from": "2025-02-30" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)',
    ]);
  });

  it('collects every problem of every file in one load', async () => {
    const p = await problems({
      'outbound.csv': outbound(
        '44,UK,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false',
        '447,GB,UK Mobile,cell,eur,-1,0,0,1.5,01/02/2025,yes',
        '33,FR,France,landline,EUR,0.01,0,60,60,2025-01-01',
        '0033,FR,,landline,EUR,20000,0,60,60,,false',
      ),
      'toll-free.csv': tollFree('44,GB,XX,EUR,0.02,0,60,60,2025-01-01'),
      'zone-a.csv': 'country,name\nGB,United Kingdom\nGB,Britain\n',
      'emergency.csv': null,
    });
    expect(p).toEqual([
      'rates/outbound.csv:2: column "country": "UK" is not an ISO 3166-1 alpha-2 country code; did you mean "GB"?',
      'rates/outbound.csv:3: column "number_type": "cell" is not a number type (landline, mobile, toll-free, premium)',
      'rates/outbound.csv:3: column "currency": "eur" is not an ISO 4217 currency code; write it in capitals, "EUR"',
      'rates/outbound.csv:3: column "price_per_minute": "-1" is negative',
      'rates/outbound.csv:3: column "initial_increment": "0" is not a billing increment (whole seconds from 1 to 3600)',
      'rates/outbound.csv:3: column "subsequent_increment": "1.5" is not a billing increment (whole seconds from 1 to 3600)',
      'rates/outbound.csv:3: column "effective_from": "01/02/2025" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)',
      'rates/outbound.csv:3: column "premium_allowed": "yes" is not true or false',
      'rates/outbound.csv:4: has 10 cells, the header has 11 (quote cells that contain commas)',
      'rates/outbound.csv:5: column "prefix": "0033" is not a dialing prefix (1 to 15 digits, no leading 0, e.g. 4420)',
      'rates/outbound.csv:5: column "destination": is empty',
      'rates/outbound.csv:5: column "price_per_minute": "20000" is above the largest allowed amount, 10000',
      'rates/toll-free.csv:2: column "service_country": "XX" is not an ISO 3166-1 alpha-2 country code (e.g. \"GB\", \"US\", \"DE\")',
      'rates/zone-a.csv:3: column "country": duplicate of line 2: GB is listed twice',
      'rates/emergency.csv: file is missing; every rates directory needs it (see rates/README.md)',
    ]);
  });

  it('toll-free duplicates and broken quoting', async () => {
    const p = await problems({
      'toll-free.csv': tollFree('44,GB,*,EUR,0.02,0,60,60,2025-01-01', '44,GB,GB,EUR,0.02,0,60,60,2025-01-01', '44,GB,*,EUR,0.03,0,60,60,2025-01-01', '"44,GB,*,EUR,0.03,0,60,60,2025-03-01'),
      'emergency.csv': 'country,number\nGB,9-9-9\n',
    });
    expect(p).toEqual([
      'rates/toll-free.csv:4: column "origin_prefix": duplicate of line 2: origin prefix 44 for service country * with the same effective_from',
      'rates/toll-free.csv:5: a quoted cell has no closing quote',
      'rates/emergency.csv:2: column "number": "9-9-9" is not an emergency number (2 to 8 digits as dialed, e.g. 112)',
    ]);
  });

  it('an empty file has no header', async () => {
    expect(await problems({ 'zone-a.csv': '# nothing yet\n\n' })).toEqual([
      'rates/zone-a.csv: no header row; the first line must name the columns: country,name',
    ]);
  });

  it('a missing directory names every file', async () => {
    const dir = join(writeRates(), 'nope');
    await expect(loadRateBook(dir)).rejects.toThrow(/outbound\.csv: file is missing[\s\S]*emergency\.csv: file is missing/);
  });
});

describe('rate files: accepted forms', () => {
  it('comments, blank lines, CRLF, quotes, any column order, empty optional cells and offsets', async () => {
    const text =
      '\ufeff# comment\r\n\r\ncurrency,prefix,country,destination,number_type,price_per_minute,effective_from,connection_fee\r\n' +
      'EUR,+82,KR,"Korea, South",landline,0.02,,\r\n' +
      '  # indented comment\r\n' +
      'EUR,8210,KR,"Korea ""Mobile""",MOBILE,0.03,2025-01-01T02:00+02:00,0.01\r\n';
    const { book } = await loadRateBook(writeRates({ 'outbound.csv': text }));
    const land = book.outbound('+8221234567', 0)!;
    expect(land).toMatchObject({ prefix: '82', destination: 'Korea, South', numberType: 'landline', connectFee: 0, initialIncrement: 60, subsequentIncrement: 60, effectiveFrom: 0, premiumAllowed: false });
    expect(land.source).toMatch(/outbound\.csv:4$/);
    const mobile = book.outbound('+821012345678', Date.UTC(2025, 0, 1))!;
    expect(mobile).toMatchObject({ destination: 'Korea "Mobile"', numberType: 'mobile', connectFee: 10_000, pricePerMinute: 30_000, effectiveFrom: Date.UTC(2025, 0, 1) });
  });

  it('the version is a hash of the contents', async () => {
    const a = await loadRateBook(writeRates());
    const b = await loadRateBook(writeRates());
    const c = await loadRateBook(writeRates({ 'zone-a.csv': 'country,name\nGB,United Kingdom\nIE,Ireland\n' }));
    expect(a.book.version).toBe(b.book.version);
    expect(c.book.version).not.toBe(a.book.version);
  });
});
