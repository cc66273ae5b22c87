/**
 * Admin API: the usage report as JSON for a page (filters, paging), the daily
 * sums by capability the portal charts, and how long the credits will last at
 * the spend rate of the last 7 and 30 days. Records come from PostgreSQL when
 * postgres.url is set, else from the Redis usage stream, as the CSV does.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UsageRecord } from '../../domain.js';
import { formatMoney } from '../../money.js';
import { dailyUsage, filterUsage, forecast } from '../../usage/filter.js';
import type { AppDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { errorResponses, instantMs, isoInstant, tenantParams } from '../schemas/common.js';
import { tenantLookup } from './lookup.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 400;

export const usageFilterQuery = {
  userId: z.string().min(1).max(64).optional().describe('Only this user'),
  callType: z.enum(['user_out', 'conf_out', 'conf_in', 'ucap_in', 'emergency']).optional(),
  capability: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'a capability such as "credits", "free" or a plan SKU').optional().describe('What paid; matches a part of "SKU+credits"'),
};

const rangeQuery = {
  from: isoInstant.describe('First instant included (start time >= from)'),
  to: isoInstant.describe('First instant excluded (start time < to)'),
};

const pageQuery = z.strictObject({
  ...rangeQuery,
  ...usageFilterQuery,
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const usageRecordView = z
  .object({
    usageId: z.string(),
    callId: z.string(),
    userId: z.string().optional(),
    userDisplayName: z.string().optional(),
    callerId: z.string().optional(),
    callType: z.string(),
    callDirection: z.string(),
    numberType: z.string().optional(),
    domestic: z.string().optional(),
    destinationNumber: z.string(),
    externalCountry: z.string().optional(),
    startTime: z.string(),
    endTime: z.string(),
    durationSeconds: z.number().int(),
    connectFee: z.string(),
    charge: z.string(),
    currency: z.string(),
    capability: z.string(),
    endReason: z.string(),
  })
  .meta({ id: 'UsageRecord' });

const dailyView = z.object({
  tenantId: z.string(),
  currency: z.string(),
  days: z.array(z.object({ date: z.string(), capability: z.string(), calls: z.number().int(), seconds: z.number().int(), charge: z.string() })),
});

const forecastView = z
  .object({
    tenantId: z.string(),
    currency: z.string(),
    available: z.string(),
    at: z.string(),
    windows: z.array(
      z.object({
        days: z.number().int(),
        spent: z.string(),
        perDay: z.string(),
        daysLeft: z.number().nullable().describe('null when nothing was spent in the window'),
        runsOutAt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'SpendForecast', description: 'How long the available money lasts at the spend rate of the last 7 and 30 days (before any auto-recharge)' });

function recordToView(r: UsageRecord): z.output<typeof usageRecordView> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    usageId: r.usageId,
    callId: r.callId,
    ...(r.userId !== undefined ? { userId: r.userId } : {}),
    ...(r.userDisplayName !== undefined ? { userDisplayName: r.userDisplayName } : {}),
    ...(r.callerId !== undefined ? { callerId: r.callerId } : {}),
    callType: r.callType,
    callDirection: r.callDirection,
    ...(r.numberType !== undefined ? { numberType: r.numberType } : {}),
    ...(r.domestic !== undefined ? { domestic: r.domestic } : {}),
    destinationNumber: r.destinationNumber,
    ...(r.externalCountry !== undefined ? { externalCountry: r.externalCountry } : {}),
    startTime: iso(r.startTime),
    endTime: iso(r.endTime),
    durationSeconds: r.durationSeconds,
    connectFee: formatMoney(r.connectFee, r.currency),
    charge: formatMoney(r.charge, r.currency),
    currency: r.currency,
    capability: String(r.capability),
    endReason: r.endReason,
  };
}

function range(from: string, to: string): [number, number] {
  const fromMs = instantMs(from);
  const toMs = instantMs(to);
  if (toMs <= fromMs) throw badRequest([{ path: 'to', message: 'must be after from' }]);
  if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS) throw badRequest([{ path: 'to', message: `at most ${MAX_RANGE_DAYS} days after from` }]);
  return [fromMs, toMs];
}

export const usageReportRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger' | 'history'> & { now: () => number }> = async (app, { ledger, history, now }) => {
  const requireTenant = tenantLookup(ledger);
  const records = (tenantId: string, fromMs: number, toMs: number) => (history ? history.usage(tenantId, fromMs, toMs) : ledger.usage(tenantId, fromMs, toMs));

  app.get('/tenants/:tenantId/usage', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'Usage records of [from, to) as JSON, filtered and paged (oldest first)',
      params: tenantParams,
      querystring: pageQuery,
      response: { 200: z.object({ records: z.array(usageRecordView), total: z.number().int(), offset: z.number().int(), limit: z.number().int() }), ...errorResponses },
    },
  }, async (req) => {
    const { from, to, offset, limit, ...filter } = req.query;
    const [fromMs, toMs] = range(from, to);
    const tenant = await requireTenant(req.params.tenantId);
    const page: UsageRecord[] = [];
    let total = 0;
    for await (const r of filterUsage(records(tenant.id, fromMs, toMs), filter)) {
      if (total >= offset && page.length < limit) page.push(r);
      total += 1;
    }
    return { records: page.map(recordToView), total, offset, limit };
  });

  app.get('/tenants/:tenantId/usage/daily', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'Calls, talk seconds and charges per UTC day and capability, by call start in [from, to)',
      params: tenantParams,
      querystring: z.strictObject({ ...rangeQuery, ...usageFilterQuery }),
      response: { 200: dailyView, ...errorResponses },
    },
  }, async (req) => {
    const { from, to, ...filter } = req.query;
    const [fromMs, toMs] = range(from, to);
    const tenant = await requireTenant(req.params.tenantId);
    const days = await dailyUsage(filterUsage(records(tenant.id, fromMs, toMs), filter));
    return { tenantId: tenant.id, currency: tenant.currency, days: days.map((d) => ({ ...d, charge: formatMoney(d.charge, tenant.currency) })) };
  });

  app.get('/tenants/:tenantId/forecast', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['funds'], summary: 'How long the credits will last at the spend rate of the last 7 and 30 days', params: tenantParams, response: { 200: forecastView, ...errorResponses } },
  }, async (req) => {
    const tenant = await requireTenant(req.params.tenantId);
    const at = now();
    const balance = await ledger.balance(tenant.id, at);
    const spent7 = { value: 0 };
    const spent30 = { value: 0 };
    if (history) {
      // PostgreSQL sums the windows itself: an overview never pulls a month of records.
      const sum = (days: Array<{ charge: number }>) => days.reduce((n, d) => n + d.charge, 0);
      const [d7, d30] = await Promise.all([history.dailySpend(tenant.id, at - 7 * DAY_MS, at), history.dailySpend(tenant.id, at - 30 * DAY_MS, at)]);
      spent7.value = sum(d7);
      spent30.value = sum(d30);
    } else {
      for await (const r of records(tenant.id, at - 30 * DAY_MS, at)) {
        spent30.value += r.charge;
        if (r.startTime >= at - 7 * DAY_MS) spent7.value += r.charge;
      }
    }
    const c = tenant.currency;
    return {
      tenantId: tenant.id,
      currency: c,
      available: formatMoney(balance.available, c),
      at: new Date(at).toISOString(),
      windows: [forecast(balance.available, spent7.value, 7), forecast(balance.available, spent30.value, 30)].map((f) => ({
        days: f.days,
        spent: formatMoney(f.spent, c),
        perDay: formatMoney(f.perDay, c),
        daysLeft: f.daysLeft,
        runsOutAt: f.daysLeft === null ? null : new Date(at + Math.round(f.daysLeft * DAY_MS)).toISOString(),
      })),
    };
  });
};
