/**
 * Usage report CSV (rule 27): column order, RFC 4180 quoting, CRLF, BOM,
 * UTC times, money digits and formula defusing; round-trips through a parser.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { UsageRecord } from '../../src/domain.js';
import { parseCsv } from '../support/rfc4180.js';
import { USAGE_CSV_COLUMNS, csvField, defuseFormula, usageCsv, usageCsvFields, usageCsvHeader, usageCsvLine } from '../../src/usage/csv.js';

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    usageId: 'u-1',
    tenantId: 't1',
    callId: 'call-1',
    conferenceId: 'conf-9',
    userLocation: 'DE',
    userId: 'user-1',
    upn: 'zoe@example.com',
    userDisplayName: 'Zoë Åström, "Ops"',
    callerId: '+4930123456',
    callType: 'user_out',
    callDirection: 'outbound',
    numberType: 'mobile',
    domestic: 'international',
    destinationDialed: '0044 7700 900123',
    destinationNumber: '+447700900123',
    externalCountry: 'GB',
    startTime: Date.UTC(2025, 2, 1, 9, 30, 0),
    endTime: Date.UTC(2025, 2, 1, 9, 31, 5, 250),
    durationSeconds: 66,
    connectFee: 12_500,
    charge: 250_000,
    currency: 'EUR',
    capability: 'credits',
    rateVersion: 'r-abc123',
    endReason: 'caller_hangup',
    ...over,
  };
}

describe('usage CSV', () => {
  it('has the rule 27 columns in order, after a UTF-8 BOM, ending in CRLF', () => {
    const header = usageCsvHeader();
    expect(header.charCodeAt(0)).toBe(0xfeff);
    expect(header.endsWith('\r\n')).toBe(true);
    expect(parseCsv(header.slice(1))).toEqual([[...USAGE_CSV_COLUMNS]]);
    expect(USAGE_CSV_COLUMNS).toEqual([
      'UsageId', 'Call ID', 'Conference ID', 'User Location', 'User Id', 'UPN', 'User Display Name', 'Caller ID',
      'Call Type', 'Call Direction', 'Number Type', 'Domestic/International', 'Destination Dialed',
      'Destination Number', 'External Country', 'Start Time', 'End Time', 'Duration Seconds', 'Connection Fee',
      'Charge', 'Currency', 'Capability', 'Rate Version', 'End Reason',
    ]);
  });

  it('writes every field of a record in column order, times in UTC ISO 8601, money in the currency digits', () => {
    const line = usageCsvLine(record());
    expect(line).toBe(
      'u-1,call-1,conf-9,DE,user-1,zoe@example.com,"Zoë Åström, ""Ops""",+4930123456,user_out,outbound,mobile,' +
        'international,0044 7700 900123,+447700900123,GB,2025-03-01T09:30:00.000Z,2025-03-01T09:31:05.250Z,66,' +
        '0.0125,0.25,EUR,credits,r-abc123,caller_hangup\r\n',
    );
    const [fields] = parseCsv(line);
    expect(fields).toHaveLength(USAGE_CSV_COLUMNS.length);
    expect(fields?.[USAGE_CSV_COLUMNS.indexOf('User Display Name')]).toBe('Zoë Åström, "Ops"');
  });

  it('leaves absent optional fields empty and writes JPY and KWD money in their own digits', () => {
    const bare = record({
      conferenceId: undefined, userLocation: undefined, userId: undefined, upn: undefined, userDisplayName: undefined,
      callerId: undefined, numberType: undefined, domestic: undefined, externalCountry: undefined, rateVersion: undefined,
      currency: 'JPY', connectFee: 0, charge: 3_000_000, callType: 'conf_in', callDirection: 'inbound',
    });
    const fields = usageCsvFields(bare);
    expect(fields[2]).toBe('');
    expect(fields[USAGE_CSV_COLUMNS.indexOf('Connection Fee')]).toBe('0');
    expect(fields[USAGE_CSV_COLUMNS.indexOf('Charge')]).toBe('3');
    expect(fields[USAGE_CSV_COLUMNS.indexOf('Rate Version')]).toBe('');
    expect(usageCsvFields(record({ currency: 'KWD', charge: 1_500_000 }))[USAGE_CSV_COLUMNS.indexOf('Charge')]).toBe('1.500');
  });

  it('quotes commas, quotes, CR and LF, and only those', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('line1\r\nline2')).toBe('"line1\r\nline2"');
    expect(csvField('Zoë Åström')).toBe('Zoë Åström');
  });

  it('defuses formulas but keeps phone numbers and negative amounts readable', () => {
    expect(defuseFormula('=HYPERLINK("http://x")')).toBe(`'=HYPERLINK("http://x")`);
    expect(defuseFormula('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(defuseFormula('+cmd|calc')).toBe(`'+cmd|calc`);
    expect(defuseFormula('-2+3+cmd|x')).toBe(`'-2+3+cmd|x`);
    expect(defuseFormula('+44 20 7946 0000')).toBe('+44 20 7946 0000');
    expect(defuseFormula('+1 (555) 010-0000')).toBe('+1 (555) 010-0000');
    expect(defuseFormula('Zoë')).toBe('Zoë');
    expect(usageCsvFields(record({ userDisplayName: '=1+1' }))[6]).toBe(`'=1+1`);
  });

  it('streams header then one line per record from an async source', async () => {
    async function* source() {
      yield record({ usageId: 'a' });
      yield record({ usageId: 'b', userDisplayName: 'multi\nline' });
    }
    const chunks: string[] = [];
    for await (const chunk of usageCsv(source())) chunks.push(chunk);
    expect(chunks).toHaveLength(3);
    const rows = parseCsv(chunks.join('').slice(1));
    expect(rows.map((r) => r[0])).toEqual(['UsageId', 'a', 'b']);
    expect(rows[2]?.[6]).toBe('multi\nline');
  });

  it('round-trips any text through RFC 4180 quoting', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 6 }), (values) => {
        const line = values.map(csvField).join(',') + '\r\n';
        expect(parseCsv(line)).toEqual([values]);
      }),
    );
  });
});
