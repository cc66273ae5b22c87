/**
 * Admin API: top-ups (idempotent by reference), the balance view, and the
 * usage report streamed as CSV for a date range [from, to).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UsageRecord } from '../../domain.js';
import { formatMoney } from '../../money.js';
import { usageCsv } from '../../usage/csv.js';
import type { AppDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { balanceToView, moneyField } from '../convert.js';
import { errorResponses, instantMs, isoInstant, tenantParams } from '../schemas/common.js';
import { balanceView, topUpBody, topUpView } from '../schemas/funds.js';
import type { FieldError } from '../errors.js';
import { filterUsage } from '../../usage/filter.js';
import { tenantLookup } from './lookup.js';
import { usageFilterQuery } from './usage-report.js';

const usageQuery = z.strictObject({
  from: isoInstant.describe('First instant included (start time >= from)'),
  to: isoInstant.describe('First instant excluded (start time < to)'),
  // Optional narrowing, as the portal's usage page filters; without them the file is the whole range.
  ...usageFilterQuery,
});

/** Pulls the first record before any byte is sent, so an outage still answers 503 rather than a cut file. */
async function primed(source: AsyncIterable<UsageRecord>): Promise<AsyncIterable<UsageRecord>> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      yield first.value;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    },
  };
}

export const fundsRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger' | 'history'> & { now: () => number }> = async (app, { ledger, history, now }) => {
  const requireTenant = tenantLookup(ledger);

  app.post('/tenants/:tenantId/topups', {
    schema: {
      tags: ['funds'],
      summary: 'Add money to the balance, once per reference',
      description:
        '201 with applied=true when the money was added; 200 with applied=false when this reference was already ' +
        'applied (the first result is returned and nothing is added).',
      params: tenantParams,
      body: topUpBody,
      response: { 200: topUpView, 201: topUpView, ...errorResponses },
    },
  }, async (req, reply) => {
    const tenant = await requireTenant(req.params.tenantId);
    const fields: FieldError[] = [];
    const amount = moneyField(fields, 'amount', req.body.amount, tenant.currency, { positive: true });
    if (fields.length > 0) throw badRequest(fields);
    const r = await ledger.topUp(tenant.id, req.body.reference, amount, now());
    return reply.code(r.applied ? 201 : 200).send({
      applied: r.applied,
      reference: r.reference,
      amount: formatMoney(r.amount, tenant.currency),
      currency: tenant.currency,
      balanceAfter: formatMoney(r.balanceAfter, tenant.currency),
    });
  });

  app.get('/tenants/:tenantId/balance', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['funds'], summary: 'Balance, held money, available money and minute pools', params: tenantParams, response: { 200: balanceView, ...errorResponses } },
  }, async (req) => {
    await requireTenant(req.params.tenantId);
    return balanceToView(await ledger.balance(req.params.tenantId, now()));
  });

  app.get('/tenants/:tenantId/usage.csv', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'PSTN usage report as CSV (RFC 4180, UTF-8 with BOM, CRLF)',
      description:
        'Calls whose start time is in [from, to): from inclusive, to exclusive; times in UTC. Read from PostgreSQL when ' +
        'postgres.url is set (records still waiting in Redis, seconds old, appear once written), else from Redis.',
      params: tenantParams,
      querystring: usageQuery,
      response: {
        200: { description: 'The report, streamed', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const { tenantId } = req.params;
    const { from: _from, to: _to, ...filter } = req.query;
    const fromMs = instantMs(req.query.from);
    const toMs = instantMs(req.query.to);
    if (toMs <= fromMs) throw badRequest([{ path: 'to', message: 'must be after from' }]);
    await requireTenant(tenantId);
    // The store of record when there is one (streamed through a cursor), else the Redis usage stream.
    const all = history ? history.usage(tenantId, fromMs, toMs) : ledger.usage(tenantId, fromMs, toMs);
    const records = await primed(Object.keys(filter).length > 0 ? filterUsage(all, filter) : all);
    const name = `usage-${tenantId}-${new Date(fromMs).toISOString().slice(0, 10)}-${new Date(toMs).toISOString().slice(0, 10)}.csv`;
    const body = Readable.from(usageCsv(records));
    body.on('error', (err) => req.log.error({ err, tenantId }, 'usage export failed mid-stream; the client got a cut file'));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      // The 200 schema documents the text; a stream of it is sent unserialized.
      .send(body as unknown as string);
  });
};
