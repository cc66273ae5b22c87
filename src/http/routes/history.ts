/**
 * Admin API over the history store (PostgreSQL): the monthly statement (JSON
 * and CSV) and daily spend; and manual balance adjustments, a ledger
 * operation journalled like every movement (rule 33).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formatMoney } from '../../money.js';
import { statementCsv, statementView as toStatementView } from '../../history/statement-format.js';
import type { AppDeps } from '../deps.js';
import { badRequest, HttpError, type FieldError } from '../errors.js';
import { moneyField } from '../convert.js';
import { errorResponses, instantMs, isoInstant, tenantParams } from '../schemas/common.js';
import { topUpView } from '../schemas/funds.js';
import { adjustmentBody, dailySpendView, monthQuery, statementView } from '../schemas/history.js';
import { tenantLookup } from './lookup.js';

const spendQuery = z.strictObject({
  from: isoInstant.describe('First instant included (start time >= from)'),
  to: isoInstant.describe('First instant excluded (start time < to)'),
});

const noStore = () => new HttpError(503, 'NO_HISTORY_STORE', 'statements and spend come from PostgreSQL: set postgres.url');

export const historyRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger' | 'history'> & { now: () => number }> = async (app, { ledger, history, now }) => {
  const requireTenant = tenantLookup(ledger);

  app.get('/tenants/:tenantId/statement', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'Monthly statement: opening balance, top-ups, recharges, adjustments, charges by capability and call type, closing balance',
      params: tenantParams,
      querystring: monthQuery,
      response: { 200: statementView, ...errorResponses },
    },
  }, async (req) => {
    const tenant = await requireTenant(req.params.tenantId);
    if (!history) throw noStore();
    return toStatementView(await history.statement(tenant.id, req.query.month, tenant.currency));
  });

  app.get('/tenants/:tenantId/statement.csv', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'Monthly statement as CSV (RFC 4180, UTF-8 with BOM, CRLF)',
      params: tenantParams,
      querystring: monthQuery,
      response: { 200: { description: 'The statement', content: { 'text/csv': { schema: z.string() } } }, ...errorResponses },
    },
  }, async (req, reply) => {
    const tenant = await requireTenant(req.params.tenantId);
    if (!history) throw noStore();
    const csv = statementCsv(await history.statement(tenant.id, req.query.month, tenant.currency));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="statement-${tenant.id}-${req.query.month}.csv"`)
      .send(csv);
  });

  app.get('/tenants/:tenantId/spend/daily', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['usage'],
      summary: 'Calls, talk time and charges per UTC day, by call start time in [from, to)',
      params: tenantParams,
      querystring: spendQuery,
      response: { 200: dailySpendView, ...errorResponses },
    },
  }, async (req) => {
    const fromMs = instantMs(req.query.from);
    const toMs = instantMs(req.query.to);
    if (toMs <= fromMs) throw badRequest([{ path: 'to', message: 'must be after from' }]);
    if (toMs - fromMs > 400 * 86_400_000) throw badRequest([{ path: 'to', message: 'at most 400 days after from' }]);
    const tenant = await requireTenant(req.params.tenantId);
    if (!history) throw noStore();
    const days = await history.dailySpend(tenant.id, fromMs, toMs);
    return {
      tenantId: tenant.id,
      currency: tenant.currency,
      days: days.map((d) => ({ ...d, charge: formatMoney(d.charge, tenant.currency) })),
    };
  });

  app.post('/tenants/:tenantId/adjustments', {
    schema: {
      tags: ['funds'],
      summary: 'Correct the balance by a signed amount, once per reference',
      description: '201 with applied=true when the money moved; 200 with applied=false when this reference was already used.',
      params: tenantParams,
      body: adjustmentBody,
      response: { 200: topUpView, 201: topUpView, ...errorResponses },
    },
  }, async (req, reply) => {
    const tenant = await requireTenant(req.params.tenantId);
    const fields: FieldError[] = [];
    // Signed: the size follows the rules of any amount (whole in the minor unit, at most the largest single amount).
    const negative = req.body.amount.startsWith('-');
    const size = moneyField(fields, 'amount', req.body.amount.replace(/^-/, ''), tenant.currency);
    if (size === 0) fields.push({ path: 'amount', message: 'must not be 0' });
    const amount = negative ? -size : size;
    if (fields.length > 0) throw badRequest(fields);
    if (!ledger.adjust) throw new HttpError(501, 'NOT_IMPLEMENTED', 'this ledger takes no adjustments');
    const r = await ledger.adjust(tenant.id, req.body.reference, amount, now());
    return reply.code(r.applied ? 201 : 200).send({
      applied: r.applied,
      reference: r.reference,
      amount: formatMoney(r.amount, tenant.currency),
      currency: tenant.currency,
      balanceAfter: formatMoney(r.balanceAfter, tenant.currency),
    });
  });
};
