/**
 * DOMAIN.md rule 29: a rate may differ by time of day and day of week in a
 * stated time zone; a call crossing a band boundary is priced per segment and
 * still rounded once per call (rule 22). Golden cases for 60/60 and 1/1, a
 * change inside an increment and DST change days in London and New York;
 * bands.csv and banded rate rows rejected with file:line problems.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bandChanges, cachedBandChanges, parseBands, pricePoints, type BandSchedule } from '../../src/rating/bands.js';
import { bandedChargeFor, bandedPrice, chargeFor } from '../../src/rating/charge.js';
import { quoteCall } from '../../src/rating/quote.js';
import { ProblemList, RateLoadError } from '../../src/rating/rate-errors.js';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import type { OutboundRate } from '../../src/rating/types.js';
import { OUTBOUND_HEADER, TOLL_FREE_HEADER, writeRates, type RateFiles } from './rating-fixtures.js';

const BANDS = `schedule,band,time_zone,days,from,to
# peak on weekdays in London, off-peak otherwise
uk,uk-peak,Europe/London,mon-fri,08:00,18:00
uk,uk-off,Europe/London,,,
us,us-peak,America/New_York,mon-fri,08:00,18:00
us,us-off,America/New_York,,,
`;

// 0.06/min = 1,000 micros a second at peak; 0.012/min = 200 a second off-peak.
const UK_ROWS = (ini: number, sub: number) => [
  `44,GB,United Kingdom,landline,USD,0.0600,0,${ini},${sub},2025-01-01,false,uk-peak`,
  `44,GB,United Kingdom,landline,USD,0.0120,0,${ini},${sub},2025-01-01,false,uk-off`,
];
const US_ROWS = [
  '1,US,United States,landline,USD,0.0600,0,1,1,2025-01-01,false,us-peak',
  '1,US,United States,landline,USD,0.0120,0,1,1,2025-01-01,false,us-off',
];

function banded(...rows: string[]): string {
  return `${OUTBOUND_HEADER},band\n${rows.join('\n')}\n`;
}

async function load(files: RateFiles, bands: string | null = BANDS) {
  const dir = writeRates(files);
  if (bands !== null) writeFileSync(join(dir, 'bands.csv'), bands);
  return { dir, loaded: await loadRateBook(dir) };
}

async function problems(files: RateFiles, bands: string | null = BANDS): Promise<string[]> {
  const dir = writeRates(files);
  if (bands !== null) writeFileSync(join(dir, 'bands.csv'), bands);
  try {
    await loadRateBook(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(RateLoadError);
    return (err as RateLoadError).problems.map((p) => p.toString().replace(dir, 'rates'));
  }
  throw new Error('the rate files were accepted');
}

/** The charge of a call answered at `answer` (ISO), as the ledger prices it from a hold at the answer. */
function charge(rate: OutboundRate, answer: string, seconds: number): number {
  const at = Date.parse(answer);
  return bandedChargeFor(rate, pricePoints(rate.bands!, at), at, seconds);
}

async function ukRate(ini: number, sub: number): Promise<OutboundRate> {
  const { loaded } = await load({ 'outbound.csv': banded(...UK_ROWS(ini, sub)) });
  return loaded.book.outbound('+442071234567', Date.parse('2025-06-01'))!;
}

describe('rule 29: band-crossing calls are priced per segment, rounded once (golden)', () => {
  it('1/1: 30 s at peak then 60 s off-peak cost 0.042, charged 0.05', async () => {
    const rate = await ukRate(1, 1);
    expect(rate.pricePerMinute).toBe(60_000); // funding holds at the highest band price
    expect(rate.bands!.prices).toEqual([60_000, 12_000]);
    expect(charge(rate, '2025-03-10T17:59:30Z', 90)).toBe(50_000);
    // Flat at peak it would be 0.09; all off-peak (an hour later) 0.018 -> 0.02.
    expect(chargeFor(rate, 90)).toBe(90_000);
    expect(charge(rate, '2025-03-10T18:59:30Z', 90)).toBe(20_000);
    // The same call the other way round: into peak at 08:00.
    expect(charge(rate, '2025-03-10T07:59:30Z', 90)).toBe(70_000); // 30 s off 6,000 + 60 s peak 60,000
  });

  it('60/60: 61 s bill 120 s, 30 s at peak and 90 s off-peak: 0.048, charged 0.05', async () => {
    const rate = await ukRate(60, 60);
    expect(charge(rate, '2025-03-10T17:59:30Z', 61)).toBe(50_000);
    expect(charge(rate, '2025-03-10T17:58:00Z', 61)).toBe(120_000); // both minutes at peak
  });

  it('a band change inside an increment splits it: 10 s call at 17:59:50 bills 60 s, 10 at peak and 50 off-peak', async () => {
    const rate = await ukRate(60, 60);
    // 10 x 1,000 + 50 x 200 = 20,000 micros = 0.02 (the whole minute at peak would be 0.06)
    expect(charge(rate, '2025-03-10T17:59:50Z', 10)).toBe(20_000);
    // A fractional answer instant: second k starts at answer + k s and takes the band in force then.
    const at = Date.parse('2025-03-10T17:59:50.400Z');
    expect(bandedPrice(pricePoints(rate.bands!, at), at, 0, 60)).toBe(10 * 1000 + 50 * 200);
  });

  it('rounds once per call, not per segment', async () => {
    // 0.0001/min peak and off: each segment alone would round up to a cent; together 1 minute is 100 micros.
    const { loaded } = await load({
      'outbound.csv': banded(
        '44,GB,United Kingdom,landline,USD,0.000130,0,1,1,2025-01-01,false,uk-peak',
        '44,GB,United Kingdom,landline,USD,0.000070,0,1,1,2025-01-01,false,uk-off',
      ),
    });
    const rate = loaded.book.outbound('+442071234567', Date.parse('2025-06-01'))!;
    // 30 s x 130/60 + 30 s x 70/60 = 65 + 35 = 100 micros -> one cent, not two
    expect(charge(rate, '2025-03-10T17:59:30Z', 60)).toBe(10_000);
  });

  it('London spring forward (30 Mar 2025): peak starts at 07:00 UTC on Monday 31 March, 08:00 UTC the Monday before', async () => {
    const rate = await ukRate(1, 1);
    // 60 s off-peak (12,000) + 60 s peak (60,000) = 0.072 -> 0.08
    expect(charge(rate, '2025-03-31T06:59:00Z', 120)).toBe(80_000);
    expect(charge(rate, '2025-03-24T06:59:00Z', 120)).toBe(30_000); // all off-peak: 24,000 -> 0.03
    expect(charge(rate, '2025-03-24T07:59:00Z', 120)).toBe(80_000);
  });

  it('London fall back (26 Oct 2025): peak ends 17:00 UTC on Friday 24 October, 18:00 UTC on Monday 27th', async () => {
    const rate = await ukRate(1, 1);
    expect(charge(rate, '2025-10-24T16:59:00Z', 120)).toBe(80_000);
    expect(charge(rate, '2025-10-27T17:59:00Z', 120)).toBe(80_000);
    expect(charge(rate, '2025-10-27T16:59:00Z', 120)).toBe(120_000); // still peak at 17:00 UTC in winter
  });

  it('a call over the whole DST weekend in London is priced by its local wall time', async () => {
    const rate = await ukRate(1, 1);
    // Friday 17:00 UTC (18:00 BST... no: 29 March is still GMT) to Monday 07:30 UTC (08:30 BST)
    const at = '2025-03-28T17:00:00Z';
    const seconds = (Date.parse('2025-03-31T07:30:00Z') - Date.parse(at)) / 1000;
    const peak = 3600 + 30 * 60; // Fri 17:00-18:00 GMT, Mon 07:00-07:30 UTC (08:00-08:30 BST)
    const off = seconds - peak;
    expect(charge(rate, at, seconds)).toBe(peak * 1000 + off * 200);
  });

  it('New York spring forward (9 Mar 2025): peak starts 12:00 UTC on Monday 10 March, 13:00 UTC on Friday 7 March', async () => {
    const { loaded } = await load({ 'outbound.csv': banded(...US_ROWS) });
    const rate = loaded.book.outbound('+12125550100', Date.parse('2025-06-01'))!;
    expect(charge(rate, '2025-03-10T11:59:00Z', 120)).toBe(80_000);
    expect(charge(rate, '2025-03-07T11:59:00Z', 120)).toBe(30_000);
    expect(charge(rate, '2025-03-07T12:59:00Z', 120)).toBe(80_000);
    // Fall back 2 Nov 2025: Friday 31 Oct peak ends 22:00 UTC (EDT), Monday 3 Nov 23:00 UTC (EST).
    expect(charge(rate, '2025-10-31T21:59:00Z', 120)).toBe(80_000);
    expect(charge(rate, '2025-11-03T22:59:00Z', 120)).toBe(80_000);
  });
});

describe('rule 29: band changes in UTC', () => {
  async function schedule(text: string): Promise<BandSchedule> {
    const p = new ProblemList('bands.csv');
    const catalog = await parseBands(`schedule,band,time_zone,days,from,to\n${text}`, p);
    expect(p.problems.map(String)).toEqual([]);
    return [...catalog.schedules.values()][0]!;
  }
  const iso = (s: BandSchedule, from: string, to: string) =>
    bandChanges(s, Date.parse(from), Date.parse(to)).map((c) => `${new Date(c.atMs).toISOString().slice(5, 16)} ${s.bands[c.band]}`);

  it('a window edge in the skipped hour changes band at the skip (New York, 9 Mar 2025 02:00 -> 03:00)', async () => {
    const s = await schedule('n,late,America/New_York,*,02:30,05:00\nn,early,America/New_York,,,\n');
    expect(iso(s, '2025-03-09T05:00:00Z', '2025-03-09T12:00:00Z')).toEqual(['03-09T05:00 early', '03-09T07:00 late', '03-09T09:00 early']);
  });

  it('a window edge in the repeated hour changes band twice (New York, 2 Nov 2025 01:00-02:00 twice)', async () => {
    const s = await schedule('n,late,America/New_York,*,01:30,03:00\nn,early,America/New_York,,,\n');
    expect(iso(s, '2025-11-02T04:00:00Z', '2025-11-02T12:00:00Z')).toEqual([
      '11-02T04:00 early', '11-02T05:30 late', '11-02T06:00 early', '11-02T06:30 late', '11-02T08:00 early',
    ]);
  });

  it('windows past midnight, several windows of a band, and the per-day cache agree with the direct walk', async () => {
    const s = await schedule([
      'w,night,Europe/Berlin,mon-fri,22:00,06:00',
      'w,day,Europe/Berlin,mon-fri,09:00,12:00',
      'w,day,Europe/Berlin,mon-fri,13:00,17:00',
      'w,weekend,Europe/Berlin,sat-sun,06:00,24:00',
      'w,shoulder,Europe/Berlin,,,',
    ].join('\n'));
    expect(iso(s, '2025-03-28T20:00:00Z', '2025-03-29T06:00:00Z')).toEqual(['03-28T20:00 shoulder', '03-28T21:00 night', '03-29T05:00 weekend']);
    for (const start of [Date.parse('2025-03-27T10:17:00Z'), Date.parse('2025-10-20T00:00:00Z'), Date.parse('2025-12-29T23:59:59.5Z')]) {
      expect(cachedBandChanges(s, start, start + 11 * 86_400_000)).toEqual(bandChanges(s, start, start + 11 * 86_400_000));
    }
  });
});

describe('rule 29: rate files with bands', () => {
  it('files without bands keep loading unchanged, with the same version', async () => {
    const plain = writeRates();
    const { book } = await loadRateBook(plain);
    expect(book.tables.outbound.every((r) => r.bands === undefined)).toBe(true);
    const withBands = writeRates();
    writeFileSync(join(withBands, 'bands.csv'), BANDS);
    const other = await loadRateBook(withBands);
    expect(other.book.version).not.toBe(book.version); // bands.csv is part of the version when present
    expect(other.bands?.bands.size).toBe(4);
    expect((await loadRateBook(writeRates())).book.version).toBe(book.version);
  });

  it('banded toll-free rows merge by origin, service country and date', async () => {
    const { loaded } = await load({
      'toll-free.csv': `${TOLL_FREE_HEADER},band\n44,GB,*,USD,0.0300,0,60,60,2025-01-01,uk-peak\n44,GB,*,USD,0.0100,0,60,60,2025-01-01,uk-off\n`,
    });
    const row = loaded.book.tollFree('+447700900123', 'US', Date.parse('2025-06-01'))!;
    expect(row.pricePerMinute).toBe(30_000);
    expect(row.bands!.prices).toEqual([30_000, 10_000]);
  });

  it('bad bands.csv rows are rejected naming file, line and column', async () => {
    expect(
      await problems({}, `schedule,band,time_zone,days,from,to
uk,uk-peak,Europe/London,mon-fri,08:00,18:00
uk,uk-peak,Europe/London,fri,17:00,19:00
uk,uk-off,Europe/Paris,,,
x,uk-peak,Europe/London,,,
y,y-peak,Mars/Olympus,mon,08:00,09:00
z,z-peak,UTC,mon-fry,08:00,25:00
w,w-peak,UTC,mon,08:00,
v,v-day,UTC,mon-fri,08:00,18:00
`),
    ).toEqual([
      'rates/bands.csv:2: column "schedule": schedule uk has no band at mon 00:00: give it a default band (a row with days, from and to empty) or windows covering the whole week',
      'rates/bands.csv:3: column "from": overlaps the window of line 2 at fri 17:00 in schedule uk; windows of a schedule may not overlap',
      'rates/bands.csv:4: column "time_zone": schedule uk is in Europe/London (line 2); every row of a schedule names the same time zone',
      'rates/bands.csv:5: column "band": band uk-peak is already a band of schedule uk (line 2); band names are unique across schedules',
      'rates/bands.csv:6: column "time_zone": "Mars/Olympus" is not a time zone this platform knows (IANA names such as Europe/London, America/New_York, UTC)',
      'rates/bands.csv:7: column "days": "mon-fry" is not a list of days (mon, tue, … sun; ranges like mon-fri; "*" for every day)',
      'rates/bands.csv:7: column "to": "25:00" is not a local time of day (HH:MM from 00:00 to 24:00)',
      'rates/bands.csv:8: column "to": is empty; a window names days, from and to (leave all three empty for the default band)',
      'rates/bands.csv:9: column "schedule": schedule v has no band at mon 00:00: give it a default band (a row with days, from and to empty) or windows covering the whole week',
    ]);
  });

  it('banded rate rows must price every band of one schedule once, agreeing on all but the price', async () => {
    const [peak, off] = UK_ROWS(60, 60);
    expect(
      await problems({
        'outbound.csv': banded(
          peak!,
          off!,
          off!,
          '447,GB,United Kingdom Mobile,mobile,USD,0.0600,0,60,60,2025-01-01,false,uk-peak',
          '447,GB,United Kingdom Mobile,mobile,USD,0.0600,0.01,60,60,2025-01-01,false,uk-off',
          '33,FR,France,landline,USD,0.0600,0,60,60,2025-01-01,false,uk-peak',
          '33,FR,France,landline,USD,0.0600,0,60,60,2025-01-01,false,us-off',
          '34,ES,Spain,landline,USD,0.0600,0,60,60,2025-01-01,false,',
          '34,ES,Spain,landline,USD,0.0600,0,60,60,2025-01-01,false,uk-peak',
          '49,DE,Germany,landline,USD,0.0600,0,60,60,2025-01-01,false,de-peak',
        ),
      }),
    ).toEqual([
      'rates/outbound.csv:4: column "band": duplicate of line 3: band uk-off for the same prefix 44 from 2025-01-01T00:00:00.000Z',
      'rates/outbound.csv:5: column "band": prefix 447 from 2025-01-01T00:00:00.000Z has no row for band uk-off of schedule uk; every band of a schedule needs a price',
      'rates/outbound.csv:6: column "connection_fee": differs from line 5; the band rows of one prefix 447 from 2025-01-01T00:00:00.000Z differ only in price_per_minute',
      'rates/outbound.csv:7: column "band": prefix 33 from 2025-01-01T00:00:00.000Z has no row for band uk-off of schedule uk; every band of a schedule needs a price',
      'rates/outbound.csv:8: column "band": band us-off is of schedule us, but line 7 names a band of schedule uk; the rows of one prefix 33 from 2025-01-01T00:00:00.000Z use one schedule',
      'rates/outbound.csv:10: column "band": names band uk-peak but line 9 prices the same key with no band; give every row of it a band, or none',
      'rates/outbound.csv:11: column "band": "de-peak" is not a band of bands.csv',
    ]);
    expect(await problems({ 'outbound.csv': banded(peak!, off!) }, null)).toEqual([
      'rates/outbound.csv:2: column "band": names band "uk-peak" but the rates directory has no bands.csv defining bands',
      'rates/outbound.csv:3: column "band": names band "uk-off" but the rates directory has no bands.csv defining bands',
    ]);
  });
});

describe('rule 29: the quote shows the band', () => {
  it('names the band at --at and the billed seconds per band', async () => {
    const { loaded } = await load({ 'outbound.csv': banded(...UK_ROWS(60, 60)) });
    const out = quoteCall(loaded.book, { to: '+442071234567', seconds: 61, atMs: Date.parse('2025-03-10T17:59:30Z'), tollFree: false });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.quote).toMatchObject({
      band: 'uk-peak', schedule: 'uk', timeZone: 'Europe/London', billedSeconds: 120, charge: '0.05', pricePerMinute: '0.06',
      segments: [
        { band: 'uk-peak', fromSecond: 0, seconds: 30, pricePerMinute: '0.06' },
        { band: 'uk-off', fromSecond: 30, seconds: 90, pricePerMinute: '0.012' },
      ],
    });
    const flat = quoteCall((await load({})).loaded.book, { to: '+442071234567', seconds: 61, atMs: Date.parse('2025-03-10T17:59:30Z'), tollFree: false });
    expect(flat.ok && flat.quote.band).toBe(undefined);
  });
});
