/**
 * Calls driven through the real call control and ledger, then /metrics
 * scraped over the app: every domain metric shows what the calls did, and
 * /v1/calls lists and hangs up live calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession, CallSetup, CallTransport } from '../../src/calls/types.js';
import type { EndReason } from '../../src/domain.js';
import { FakeClock } from '../support/fake-clock.js';
import { parseCsv } from '../support/rfc4180.js';
import { auth, json, metricSum, parseMetrics, startHarness, type Harness } from './http-harness.js';

/** 2025-03-10T12:00:00Z: the sample UK mobile rate (USD 0.03/min, 1/1) is in effect. */
const T0 = Date.UTC(2025, 2, 10, 12, 0, 0);

/** Like the SIP layer: on hang-up, BYE both legs and report the end to the session. */
class Transport implements CallTransport {
  readonly hangUps: EndReason[] = [];
  session: CallSession | undefined;
  constructor(private readonly clock: FakeClock) {}
  async hangUp(reason: EndReason): Promise<void> {
    this.hangUps.push(reason);
    await this.session?.end(reason, this.clock.now());
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function provision(harness: Harness, tenantId: string, amount: string): Promise<void> {
  const put = await harness.app.inject({ method: 'PUT', url: `/v1/tenants/${tenantId}`, ...json({ name: tenantId, currency: 'USD', country: 'GB' }) });
  expect(put.statusCode).toBe(201);
  const user = { upn: `zoe@${tenantId}.example`, displayName: 'Zoë Åström, "Ops"', usageCountry: 'GB', licences: ['communicationCredits'] };
  expect((await harness.app.inject({ method: 'PUT', url: `/v1/tenants/${tenantId}/users/zoe`, ...json(user) })).statusCode).toBe(201);
  const topUp = await harness.app.inject({ method: 'POST', url: `/v1/tenants/${tenantId}/topups`, ...json({ reference: `open-${tenantId}`, amount }) });
  expect(topUp.statusCode).toBe(201);
}

let seq = 0;
async function dial(harness: Harness, clock: FakeClock, tenantId: string, userId: string, dialed: string) {
  const transport = new Transport(clock);
  const setup: CallSetup = {
    callId: `m-${++seq}`,
    direction: 'outbound',
    callType: 'user_out',
    tenantId,
    userId,
    dialed,
    receivedAtMs: clock.now(),
  };
  const outcome = await harness.calls.authorize(setup, transport);
  if (outcome.allowed) transport.session = outcome.session;
  return { callId: setup.callId, outcome, transport };
}

async function scrape(harness: Harness): Promise<Map<string, number>> {
  const r = await harness.app.inject({ url: '/metrics' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return parseMetrics(r.body);
}

describe('metrics after real calls', () => {
  it('counts decisions, active calls, charges, ends, cut-offs and authorize latency', async () => {
    const clock = new FakeClock(T0);
    h = await startHarness({ clock });
    await provision(h, 'acme', '1.00');
    await provision(h, 'lean', '0.01');

    // A: answered 65 s, caller hangs up: 65 s x USD 0.0005 = 0.0325, rounded up to 0.04.
    const a = await dial(h, clock, 'acme', 'zoe', '+447700900123');
    expect(a.outcome.allowed).toBe(true);
    // B: refused, no such user.
    const b = await dial(h, clock, 'acme', 'nobody', '+447700900123');
    expect(b.outcome).toMatchObject({ allowed: false, code: 'UNKNOWN_USER' });
    // C: USD 0.01 funds 20 s; cut at the 20th second.
    const c = await dial(h, clock, 'lean', 'zoe', '+447700900124');
    expect(c.outcome.allowed).toBe(true);
    // D: answered, hung up by an operator after 10 s: 0.005 rounded up to 0.01.
    const d = await dial(h, clock, 'acme', 'zoe', '+447700900125');
    expect(d.outcome.allowed).toBe(true);
    for (const call of [a, c, d]) await call.transport.session!.answered(clock.now());

    let m = await scrape(h);
    expect(metricSum(m, 'tollgate_active_calls')).toBe(3);
    expect(metricSum(m, 'tollgate_held_micros')).toBeGreaterThanOrEqual(0);
    const live = await h.app.inject({ url: '/v1/calls', headers: auth });
    expect(live.json().calls.map((x: { callId: string }) => x.callId).sort()).toEqual([a.callId, c.callId, d.callId].sort());
    expect(live.json().calls.find((x: { callId: string }) => x.callId === a.callId)).toMatchObject({
      tenantId: 'acme', state: 'answered', destination: '+447700900123', currency: 'USD', answeredAt: new Date(T0).toISOString(),
    });
    expect((await h.app.inject({ url: '/v1/calls?tenantId=lean', headers: auth })).json().calls).toHaveLength(1);

    await clock.advance(10_000);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/calls/${d.callId}`, headers: auth })).statusCode).toBe(204);
    expect(d.transport.hangUps).toEqual(['admin_hangup']);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/calls/${d.callId}`, headers: auth })).statusCode).toBe(404);

    await clock.advance(15_000); // T0 + 25 s: C was cut at T0 + 20 s
    expect(c.transport.hangUps).toEqual(['credit_exhausted']);
    await clock.advance(40_000); // T0 + 65 s
    await a.transport.session!.end('caller_hangup', clock.now());

    m = await scrape(h);
    expect(metricSum(m, 'tollgate_call_decisions_total', { decision: 'allow', call_type: 'user_out' })).toBe(3);
    expect(metricSum(m, 'tollgate_call_decisions_total', { decision: 'reject', reason: 'UNKNOWN_USER' })).toBe(1);
    expect(metricSum(m, 'tollgate_active_calls')).toBe(0);
    expect(metricSum(m, 'tollgate_held_micros')).toBe(0);
    expect(metricSum(m, 'tollgate_calls_ended_total', { end_reason: 'caller_hangup' })).toBe(1);
    expect(metricSum(m, 'tollgate_calls_ended_total', { end_reason: 'credit_exhausted' })).toBe(1);
    expect(metricSum(m, 'tollgate_calls_ended_total', { end_reason: 'admin_hangup' })).toBe(1);
    expect(metricSum(m, 'tollgate_cutoffs_total')).toBe(1);
    expect(metricSum(m, 'tollgate_charged_micros_total', { currency: 'USD' })).toBe(40_000 + 10_000 + 10_000);
    expect(metricSum(m, 'tollgate_authorize_duration_seconds_count')).toBe(4);
    expect(metricSum(m, 'tollgate_rate_reloads_total', { outcome: 'loaded' })).toBe(1);
    expect(metricSum(m, 'tollgate_redis_errors_total')).toBe(0);
    expect([...m.keys()].some((k) => k.includes('tenant='))).toBe(false);

    // The ledger debited what the metric counted, and the usage report says so.
    const balance = (await h.app.inject({ url: '/v1/tenants/acme/balance', headers: auth })).json();
    expect(balance).toMatchObject({ balance: '0.95', held: '0.00' });
    expect((await h.app.inject({ url: '/v1/tenants/lean/balance', headers: auth })).json()).toMatchObject({ balance: '0.00' });
    const csv = await h.app.inject({ url: '/v1/tenants/acme/usage.csv?from=2025-03-10&to=2025-03-11', headers: auth });
    const rows = parseCsv(csv.body.slice(1));
    const header = rows[0]!;
    const charges = rows.slice(1).map((r) => [r[header.indexOf('Call ID')], r[header.indexOf('Charge')], r[header.indexOf('End Reason')]]);
    expect(charges).toEqual(expect.arrayContaining([[a.callId, '0.04', 'caller_hangup'], [d.callId, '0.01', 'admin_hangup']]));
  });

  it('labels per-call metrics with the tenant only when metrics.tenantLabels is on', async () => {
    const clock = new FakeClock(T0);
    h = await startHarness({ clock, tenantLabels: true });
    await provision(h, 'acme', '1.00');
    const a = await dial(h, clock, 'acme', 'zoe', '+447700900123');
    await a.transport.session!.answered(clock.now());
    await clock.advance(30_000);
    await a.transport.session!.end('callee_hangup', clock.now());
    const m = await scrape(h);
    expect(metricSum(m, 'tollgate_charged_micros_total', { currency: 'USD', tenant: 'acme' })).toBe(20_000);
    expect(metricSum(m, 'tollgate_call_decisions_total', { decision: 'allow', tenant: 'acme' })).toBe(1);
  });

  it('counts Redis errors when the ledger cannot reach Redis', async () => {
    h = await startHarness({ ledger: { url: 'redis://127.0.0.1:1', connectTimeoutMs: 200, commandTimeoutMs: 200, operationTimeoutMs: 400 } });
    expect((await h.app.inject({ url: '/v1/tenants/acme', headers: auth })).statusCode).toBe(503);
    expect(metricSum(await scrape(h), 'tollgate_redis_errors_total')).toBeGreaterThan(0);
  });
});
