/**
 * The dry run of a rate change on recorded calls with a known answer: calls
 * priced and settled by the ledger with the tables in service, then
 * re-priced with candidate tables (a price rise, a banded price (rule 29), a
 * destination dropped) through the library, the CLI's formats and
 * POST /v1/rates/impact; no balance moves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingSource } from '../../src/domain.js';
import { termsOf } from '../../src/entitlement/common.js';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import type { RateBook } from '../../src/rating/types.js';
import { impactCsv, impactOfRecorded, impactTable, impactView } from '../../src/usage/rate-impact.js';
import { credits, free, holdRequest, planPool, tenant } from '../support/ledger-fixtures.js';
import { writeRates } from '../unit/rating-fixtures.js';
import { auth, startHarness, type Harness } from './http-harness.js';

const HEADER = 'prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed';
const OLD = `${HEADER}
44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false
447,GB,United Kingdom Mobile,mobile,EUR,0.0300,0,60,60,2025-01-01,false
33,FR,France,landline,EUR,0.0200,0,1,1,2025-01-01,false
`;
const NEW = `${HEADER},band
44,GB,United Kingdom,landline,EUR,0.0200,0,60,60,2025-01-01,false,
447,GB,United Kingdom Mobile,mobile,EUR,0.0600,0,1,1,2025-01-01,false,uk-peak
447,GB,United Kingdom Mobile,mobile,EUR,0.0120,0,1,1,2025-01-01,false,uk-off
`;
const BANDS = 'schedule,band,time_zone,days,from,to\nuk,uk-peak,Europe/London,mon-fri,08:00,18:00\nuk,uk-off,Europe/London,,,\n';

const ANSWER = Date.parse('2025-03-10T17:59:00Z');
const FROM = '2025-03-01T00:00:00Z';
const TO = '2025-04-01T00:00:00Z';

let h: Harness;
let oldBook: RateBook;
let newBook: RateBook;
let n = 0;

/** One call priced by the tables in service and settled by the ledger (seconds 0: never answered). */
async function call(tenantId: string, to: string, seconds: number, opts: { at?: number; sources?: FundingSource[]; callType?: 'user_out' | 'emergency' } = {}) {
  const at = opts.at ?? ANSWER;
  const row = oldBook.outbound(to, at);
  const callType = opts.callType ?? 'user_out';
  const rate = callType === 'emergency' || !row ? { currency: 'EUR', pricePerMinute: 0, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 } : termsOf(row);
  const callId = `c${n++}`;
  const held = await h.ledger.hold(holdRequest(tenantId, callId, {
    rate, sources: opts.sources ?? [credits], nowMs: at - 5000,
    draft: {
      tenantId, callId, callType, callDirection: 'outbound', destinationDialed: to, destinationNumber: to, currency: 'EUR',
      ...(row ? { numberType: row.numberType, externalCountry: row.country } : {}), rateVersion: oldBook.version,
    },
  }));
  expect(held.ok).toBe(true);
  if (seconds === 0) return h.ledger.release(tenantId, callId, at, 'cancelled');
  await h.ledger.answer(tenantId, callId, at, at);
  let funded = held.ok ? held.fundedSeconds : 0;
  while (funded < seconds) funded = (await h.ledger.extend(tenantId, callId, at + Math.max(0, funded - 10) * 1000)).fundedSeconds;
  return h.ledger.settle(tenantId, callId, at + seconds * 1000, 'caller_hangup');
}

beforeAll(async () => {
  const oldDir = writeRates({ 'outbound.csv': OLD });
  h = await startHarness({ ratesDir: oldDir });
  oldBook = h.rates.book;
  const newDir = writeRates({ 'outbound.csv': NEW });
  writeFileSync(join(newDir, 'bands.csv'), BANDS);
  newBook = (await loadRateBook(newDir)).book;
  for (const id of ['acme', 'beta']) {
    await h.ledger.putTenant(tenant(id, { currency: 'EUR' }));
    await h.ledger.topUp(id, 'start', 100_000_000, Date.parse('2025-03-01'));
  }
  // acme: a price rise, a banded price, a destination dropped, a pool call, an emergency call, an unanswered call
  expect((await call('acme', '+442071234567', 61)).record.charge).toBe(30_000); // 60/60: 2 min x 0.015
  expect((await call('acme', '+447700900123', 90, { at: Date.parse('2025-03-10T17:59:30Z') })).record.charge).toBe(60_000);
  expect((await call('acme', '+33123456789', 30)).record.charge).toBe(10_000);
  expect((await call('acme', '+442071234567', 120, { sources: [planPool(3000)] })).record.charge).toBe(0);
  expect((await call('acme', '999', 10, { sources: [free], callType: 'emergency' })).record.charge).toBe(0);
  await call('acme', '+442071234567', 0);
  // beta: ten minutes to a landline
  expect((await call('beta', '+442071234567', 600)).record.charge).toBe(150_000);
  // outside the period: not looked at
  await call('beta', '+442071234567', 60, { at: Date.parse('2025-04-02T10:00:00Z') });
});

afterAll(async () => {
  await h?.close();
});

describe('rates impact on recorded calls (rule 29 bands included)', () => {
  it('gives the known old and new charges per tenant and per destination', async () => {
    const report = await impactOfRecorded(newBook, h.ledger, ['acme', 'beta'], Date.parse(FROM), Date.parse(TO));
    const view = impactView(report);
    expect(view).toMatchObject({ rateVersion: newBook.version, records: 7, unanswered: 1, unrated: 1 });
    expect(view.tenants).toEqual([
      // 0.03 -> 0.04; 0.06 -> 30 s peak 0.03 + 60 s off 0.012 = 0.042 -> 0.05; France 0.01 -> no rate; pool call 0 -> 0
      { tenantId: 'acme', currency: 'EUR', calls: 4, minutes: '5.02', oldCharge: '0.10', newCharge: '0.09', delta: '-0.01', noRate: 1, noRateOldCharge: '0.01', partlyPool: 0 },
      { tenantId: 'beta', currency: 'EUR', calls: 1, minutes: '10.00', oldCharge: '0.15', newCharge: '0.20', delta: '0.05', noRate: 0, noRateOldCharge: '0.00', partlyPool: 0 },
    ]);
    expect(view.destinations).toEqual([
      { kind: 'outbound', destination: 'United Kingdom', prefix: '44', currency: 'EUR', calls: 3, minutes: '13.02', oldCharge: '0.18', newCharge: '0.24', delta: '0.06', noRate: 0, noRateOldCharge: '0.00', partlyPool: 0 },
      { kind: 'outbound', destination: 'FR landline (no rate)', prefix: '', currency: 'EUR', calls: 1, minutes: '0.50', oldCharge: '0.01', newCharge: '0.00', delta: '-0.01', noRate: 1, noRateOldCharge: '0.01', partlyPool: 0 },
      { kind: 'outbound', destination: 'United Kingdom Mobile', prefix: '447', currency: 'EUR', calls: 1, minutes: '1.50', oldCharge: '0.06', newCharge: '0.05', delta: '-0.01', noRate: 0, noRateOldCharge: '0.00', partlyPool: 0 },
    ]);
    // The same tables re-price every call at its recorded charge.
    const same = impactView(await impactOfRecorded(oldBook, h.ledger, ['acme', 'beta'], Date.parse(FROM), Date.parse(TO)));
    expect(same.tenants.map((t) => t.delta)).toEqual(['0.00', '0.00']);
    const text = impactTable(report);
    expect(text).toContain('calls with no rate any more');
    expect(text).toContain('FR landline (no rate): 1 call(s), 0.01 EUR charged before');
    const csv = impactCsv(report).split('\r\n');
    expect(csv[0]).toBe('scope,tenant,kind,destination,prefix,currency,calls,minutes,old_charge,new_charge,delta,no_rate,no_rate_old_charge,partly_pool');
    expect(csv[1]).toBe('tenant,acme,,,,EUR,4,5.02,0.10,0.09,-0.01,1,0.01,0');
  });

  it('POST /v1/rates/impact previews candidate files, names their problems, and moves no money', async () => {
    const before = await Promise.all(['acme', 'beta'].map((t) => h.ledger.balance(t, Date.parse('2025-03-01'))));
    const res = await h.app.inject({
      method: 'POST', url: '/v1/rates/impact', headers: auth,
      payload: { files: { 'outbound.csv': NEW, 'bands.csv': BANDS }, from: FROM, to: TO, tenant: 'acme' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ rateVersion: newBook.version, source: 'redis', records: 6 });
    expect(body.tenants).toEqual([expect.objectContaining({ tenantId: 'acme', oldCharge: '0.10', newCharge: '0.09', noRate: 1 })]);
    const bad = await h.app.inject({
      method: 'POST', url: '/v1/rates/impact', headers: auth,
      payload: { files: { 'outbound.csv': NEW } },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().problems[0]).toBe('candidate/outbound.csv:3: column "band": names band "uk-peak" but the rates directory has no bands.csv defining bands');
    const unknown = await h.app.inject({ method: 'POST', url: '/v1/rates/impact', headers: auth, payload: { files: { 'prices.csv': '' } } });
    expect(unknown.statusCode).toBe(400);
    const after = await Promise.all(['acme', 'beta'].map((t) => h.ledger.balance(t, Date.parse('2025-03-01'))));
    expect(after.map((b) => b.balance)).toEqual(before.map((b) => b.balance));
    expect(h.rates.book.version).toBe(oldBook.version); // the tables in service are untouched
    expect(readFileSync(join(h.config.rates.dir, 'outbound.csv'), 'utf8')).toBe(OLD);
  });
});
