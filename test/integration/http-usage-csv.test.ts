/**
 * The usage report over HTTP and from `tollgate usage export`, from records
 * the real ledger wrote on hold/answer/settle: columns, RFC 4180 escaping,
 * non-ASCII names, and the [from, to) edges.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { run as usageCli } from '../../src/cli/usage.js';
import type { UsageDraft } from '../../src/ledger/index.js';
import { USAGE_CSV_COLUMNS } from '../../src/usage/csv.js';
import { holdRequest, terms } from '../support/ledger-fixtures.js';
import { parseCsv } from '../support/rfc4180.js';
import { auth, startHarness, type Harness } from './http-harness.js';

const FROM = Date.UTC(2025, 2, 1);
const TO = Date.UTC(2025, 3, 1);
const USD = terms({ currency: 'USD', pricePerMinute: 30_000, connectFee: 12_500, initialIncrement: 1, subsequentIncrement: 1 });

let h: Harness;
const keyPrefix = `t${randomBytes(5).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-usage-'));

/** One real call: held 5 s before it is answered at startMs, extended, settled after 65 s. */
async function call(callId: string, startMs: number, draft: Partial<UsageDraft> = {}): Promise<void> {
  const req = holdRequest('acme', callId, { rate: USD, nowMs: startMs - 5000 });
  const held = await h.ledger.hold({ ...req, draft: { ...req.draft, ...draft } });
  expect(held.ok).toBe(true);
  await h.ledger.answer('acme', callId, startMs);
  // Like a live session: the next slice is funded before the first one runs out.
  await h.ledger.extend('acme', callId, startMs + 50_000);
  await h.ledger.settle('acme', callId, startMs + 65_000, 'caller_hangup');
}

beforeAll(async () => {
  h = await startHarness({ ledger: { keyPrefix } });
  await h.ledger.putTenant({ id: 'acme', name: 'ACME', currency: 'USD', country: 'GB', creditLimit: 0 });
  await h.ledger.putTenant({ id: 'empty', name: 'Empty', currency: 'USD', country: 'GB', creditLimit: 0 });
  await h.ledger.topUp('acme', 'open', 10_000_000, FROM - 86_400_000);
  await call('before-from', FROM - 1);
  await call('at-from', FROM, {
    userId: 'zoe',
    upn: 'zoe@acme.example',
    userDisplayName: 'Zoë Åström, "Ops"',
    userLocation: 'GB',
    conferenceId: 'conf,1',
    callerId: '+442071234567',
    numberType: 'mobile',
    domestic: 'domestic',
    externalCountry: 'GB',
    destinationDialed: '07700 900123',
    destinationNumber: '+447700900123',
    rateVersion: 'v-test',
  });
  await call('mid-month', Date.UTC(2025, 2, 15, 9, 30), { userDisplayName: 'Line one\r\nLine two', upn: '=HYPERLINK("http://x")' });
  await call('before-to', TO - 1);
  await call('at-to', TO);
});

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rowsOf(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  expect(body.endsWith('\r\n')).toBe(true);
  return parseCsv(body.slice(1));
}

describe('usage CSV over HTTP', () => {
  it('streams the records of [from, to) with every column in order', async () => {
    const r = await h.app.inject({ url: '/v1/tenants/acme/usage.csv?from=2025-03-01&to=2025-04-01', headers: auth });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe('attachment; filename="usage-acme-2025-03-01-2025-04-01.csv"');
    const rows = rowsOf(r.body);
    expect(rows[0]).toEqual([...USAGE_CSV_COLUMNS]);
    const col = (name: (typeof USAGE_CSV_COLUMNS)[number]) => USAGE_CSV_COLUMNS.indexOf(name);
    expect(rows.slice(1).map((row) => row[col('Call ID')])).toEqual(['at-from', 'mid-month', 'before-to']);

    const first = rows[1]!;
    expect(first).toHaveLength(USAGE_CSV_COLUMNS.length);
    expect(first[col('User Display Name')]).toBe('Zoë Åström, "Ops"');
    expect(first[col('Conference ID')]).toBe('conf,1');
    expect(first[col('Caller ID')]).toBe('+442071234567');
    expect(first[col('Start Time')]).toBe('2025-03-01T00:00:00.000Z');
    expect(first[col('End Time')]).toBe('2025-03-01T00:01:05.000Z');
    expect(first[col('Duration Seconds')]).toBe('65');
    // 65 s x USD 0.0005 + 0.0125 connection fee = 0.045, rounded up once to the cent.
    expect(first[col('Connection Fee')]).toBe('0.0125');
    expect(first[col('Charge')]).toBe('0.05');
    expect(first[col('Currency')]).toBe('USD');
    expect(first[col('Capability')]).toBe('credits');
    expect(first[col('Rate Version')]).toBe('v-test');
    expect(first[col('End Reason')]).toBe('caller_hangup');
    expect(first[col('Call Type')]).toBe('user_out');
    expect(first[col('Call Direction')]).toBe('outbound');
    expect(first[col('Destination Dialed')]).toBe('07700 900123');

    const mid = rows[2]!;
    expect(mid[col('User Display Name')]).toBe('Line one\r\nLine two');
    expect(mid[col('UPN')]).toBe(`'=HYPERLINK("http://x")`);
    // The raw bytes quote the comma, the quotes and the line break.
    expect(r.body).toContain('"Zoë Åström, ""Ops"""');
    expect(r.body).toContain('"Line one\r\nLine two"');
    expect(Buffer.from(r.rawPayload).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('includes a record starting exactly at from and excludes one starting exactly at to', async () => {
    const get = async (from: string, to: string) =>
      rowsOf((await h.app.inject({ url: `/v1/tenants/acme/usage.csv?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, headers: auth })).body)
        .slice(1)
        .map((row) => row[1]);
    expect(await get('2025-03-01T00:00:00Z', '2025-03-01T00:00:00.001Z')).toEqual(['at-from']);
    expect(await get('2025-02-28T23:59:59.999Z', '2025-03-01T00:00:00Z')).toEqual(['before-from']);
    expect(await get('2025-04-01T00:00:00Z', '2025-04-02T00:00:00Z')).toEqual(['at-to']);
    expect(await get('2025-03-31T23:59:59.999Z', '2025-04-01')).toEqual(['before-to']);
    // The same instants written with an offset select the same records.
    expect(await get('2025-03-01T01:00:00+01:00', '2025-04-01T02:00:00+02:00')).toEqual(['at-from', 'mid-month', 'before-to']);
    expect(await get('2025-05-01', '2025-06-01')).toEqual([]);
  });

  it('names bad query fields, and 404s an unknown tenant', async () => {
    const bad = async (qs: string) => {
      const r = await h.app.inject({ url: `/v1/tenants/acme/usage.csv?${qs}`, headers: auth });
      expect(r.statusCode, qs).toBe(400);
      return (r.json() as { fields: Array<{ path: string }> }).fields.map((f) => f.path);
    };
    expect(await bad('from=2025-03-01')).toEqual(['to']);
    expect(await bad('from=March&to=2025-04-01')).toEqual(['from']);
    expect(await bad('from=2025-03-01T00:00&to=2025-02-30')).toEqual(['from', 'to']);
    expect(await bad('from=2025-04-01&to=2025-03-01')).toEqual(['to']);
    expect(await bad('from=2025-03-01&to=2025-03-01')).toEqual(['to']);
    expect((await h.app.inject({ url: '/v1/tenants/ghost/usage.csv?from=2025-03-01&to=2025-04-01', headers: auth })).statusCode).toBe(404);
    const empty = await h.app.inject({ url: '/v1/tenants/empty/usage.csv?from=2025-03-01&to=2025-04-01', headers: auth });
    expect(rowsOf(empty.body)).toEqual([[...USAGE_CSV_COLUMNS]]);
  });
});

describe('tollgate usage export', () => {
  const configFile = join(dir, 'tollgate.yaml');
  beforeAll(() => {
    writeFileSync(configFile, `redis:\n  url: ${inject('redisUrl')}\n  keyPrefix: ${keyPrefix}\nhttp:\n  adminToken: cli-test-admin-token-0123\nlog:\n  level: silent\n`);
  });

  it('writes the same bytes as the API to --out', async () => {
    const out = join(dir, 'acme.csv');
    const code = await usageCli(['export', '--tenant', 'acme', '--from', '2025-03-01', '--to', '2025-04-01', '--config', configFile, '--out', out]);
    expect(code).toBe(0);
    const api = await h.app.inject({ url: '/v1/tenants/acme/usage.csv?from=2025-03-01&to=2025-04-01', headers: auth });
    expect(readFileSync(out)).toEqual(Buffer.from(api.rawPayload));
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('prints to stdout when run as a command', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'usage', 'export', '--tenant', 'acme', '--from', '2025-03-31T23:59:59.999Z', '--to', '2025-04-01T00:00:00.001Z', '--config', configFile],
      { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, TOLLGATE_LOG_LEVEL: 'silent' } },
    );
    expect(parseCsv(stdout.slice(1)).map((row) => row[1])).toEqual(['Call ID', 'before-to', 'at-to']);
  });

  it('refuses bad arguments (2) and an unknown tenant (1), leaving no file', async () => {
    const out = join(dir, 'never.csv');
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      err.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await usageCli(['export', '--tenant', 'acme', '--from', '2025-04-01', '--to', '2025-03-01', '--config', configFile, '--out', out])).toBe(2);
      expect(await usageCli(['export', '--from', 'soon', '--config', configFile])).toBe(2);
      expect(await usageCli(['export', '--tenant', 'ghost', '--from', '2025-03-01', '--to', '2025-04-01', '--config', configFile, '--out', out])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    const text = err.join('');
    expect(text).toContain('--to must be after --from');
    expect(text).toContain('--tenant ID is required');
    expect(text).toContain('--from "soon" is not an ISO 8601');
    expect(text).toContain('--to ISO is required');
    expect(text).toContain('tenant "ghost" does not exist');
    expect(existsSync(out)).toBe(false);
  });
});
