/**
 * Rate files with every kind of mistake load with the same problems, worded
 * and ordered as before the faster parser (golden, recorded from it), one per
 * bad cell or line; a big valid table with a few bad rows names only those.
 */
import { describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import { RateLoadError } from '../../src/rating/rate-errors.js';
import { OUTBOUND_HEADER, writeRates } from './rating-fixtures.js';

async function problemsOf(files: Parameters<typeof writeRates>[0]): Promise<string[]> {
  try {
    await loadRateBook(writeRates(files));
  } catch (err) {
    if (!(err instanceof RateLoadError)) throw err;
    return err.problems.map((p) => p.toString().replace(`${p.file}`, basename(p.file)));
  }
  return [];
}

// A byte order mark, CRLF line ends, comment and blank lines, spaces and no-break spaces around cells.
const OUTBOUND = `\ufeff${[
  '# comment',
  '   # indented comment',
  'prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed',
  '44,GB,UK,landline,USD,0.01,0,60,60,2025-01-01,false',
  '44,GB,UK again,landline,USD,0.02,0,60,60,2025-01-01,false',
  '44,GB,UK later,landline,USD,0.02,0,60,60,2025-06-01,false',
  '44,GB,UK later again,landline,USD,0.02,0,60,60,2025-06-01T00:00:00Z,false',
  ' 447 , GB ,  Mobile ,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '447,GB,Mobile dup,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '0447,GB,Bad prefix,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '448,UK,Bad country,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '449,GB,,mobile,usd,0.03,0,60,60,2025-01-01,false',
  '4410,GB,Bad type,cell,USD,abc,0,0,60,2025-13-01,maybe',
  '4411,GB,Two cells',
  '4412,GB,"Quoted, fine",mobile,USD,0.03,0,60,60,2025-01-01,false',
  '4413,GB,"broken,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '4414,GB,Fee,mobile,USD,0.03,-1,60,60,2025-01-01,false',
  '4415,GB,Fee,mobile,USD,0.03,0.0000001,60,60,2025-01-01,TRUE',
  '4416,GB,Same as memo,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '4417,GB,Bad again,cell,USD,abc,0,0,60,2025-13-01,maybe',
  '',
  '4418,\u00a0GB\u00a0,Nbsp,mobile,USD,0.03,0,60,60,2025-01-01,false',
  '44,GB,UK third dup,landline,USD,0.02,0,60,60,2025-01-01,false',
  ''
].join('\r\n')}`;

describe('rate file problems after the faster load', () => {
  it('are the same, one per bad cell or line, in file and line order', async () => {
    expect(await problemsOf({
      'outbound.csv': OUTBOUND,
      'toll-free.csv': 'origin_prefix,origin_country,service_country,currency,price_per_minute,effective_from\n44,GB,*,USD,0.02,2025-01-01\n44,GB,*,USD,0.03,2025-01-01\n',
    })).toEqual([
      'outbound.csv:5: column "prefix": duplicate of line 4: prefix 44 with the same effective_from',
      'outbound.csv:7: column "prefix": duplicate of line 6: prefix 44 with the same effective_from',
      'outbound.csv:9: column "prefix": duplicate of line 8: prefix 447 with the same effective_from',
      'outbound.csv:10: column "prefix": "0447" is not a dialing prefix (1 to 15 digits, no leading 0, e.g. 4420)',
      'outbound.csv:11: column "country": "UK" is not an ISO 3166-1 alpha-2 country code; did you mean "GB"?',
      'outbound.csv:12: column "destination": is empty',
      'outbound.csv:12: column "currency": "usd" is not an ISO 4217 currency code; write it in capitals, "USD"',
      'outbound.csv:13: column "number_type": "cell" is not a number type (landline, mobile, toll-free, premium)',
      'outbound.csv:13: column "price_per_minute": "abc" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)',
      'outbound.csv:13: column "initial_increment": "0" is not a billing increment (whole seconds from 1 to 3600)',
      'outbound.csv:13: column "effective_from": "2025-13-01" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)',
      'outbound.csv:13: column "premium_allowed": "maybe" is not true or false',
      'outbound.csv:14: has 3 cells, the header has 11 (quote cells that contain commas)',
      'outbound.csv:16: a quoted cell has no closing quote',
      'outbound.csv:17: column "connection_fee": "-1" is negative',
      'outbound.csv:18: column "connection_fee": "0.0000001" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)',
      'outbound.csv:20: column "number_type": "cell" is not a number type (landline, mobile, toll-free, premium)',
      'outbound.csv:20: column "price_per_minute": "abc" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)',
      'outbound.csv:20: column "initial_increment": "0" is not a billing increment (whole seconds from 1 to 3600)',
      'outbound.csv:20: column "effective_from": "2025-13-01" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)',
      'outbound.csv:20: column "premium_allowed": "maybe" is not true or false',
      'outbound.csv:23: column "prefix": duplicate of line 4: prefix 44 with the same effective_from',
      'toll-free.csv:3: column "origin_prefix": duplicate of line 2: origin prefix 44 for service country * with the same effective_from'
    ]);
  });

  it('name only the bad rows of a big table', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${4400000 + i},GB,UK ${i},${i % 2 ? 'mobile' : 'landline'},USD,0.0${i % 90 + 10},0,60,${i % 3 ? 60 : 1},2025-01-01,false`);
    rows[1234] = '4401234,GB,UK,landline,USD,0.01,0,60,60,2025-02-30,false';
    rows[5000] = rows[4999]!.replace('UK 4999', 'twin');
    rows[19_999] = '4419999,GB,UK,landline,USD,0.01,0,60,60,2025-01-01,no';
    expect(await problemsOf({ 'outbound.csv': `${OUTBOUND_HEADER}\n${rows.join('\n')}\n` })).toEqual([
      'outbound.csv:1236: column "effective_from": "2025-02-30" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)',
      'outbound.csv:5002: column "prefix": duplicate of line 5001: prefix 4404999 with the same effective_from',
      'outbound.csv:20001: column "premium_allowed": "no" is not true or false',
    ]);
  });
});
