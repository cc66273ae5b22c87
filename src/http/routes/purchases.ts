/**
 * Admin API: a tenant buys credits through the payment provider. Idempotent
 * by the reference the page makes once per purchase: the provider gets it as
 * Idempotency-Key (it must charge once per key), the ledger adds the money
 * once per reference (rule 24), and while one request for a reference is in
 * flight a second is refused, so a double click never pays or adds twice.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formatMoney } from '../../money.js';
import { postRecharge } from '../../payments/http-provider.js';
import type { PortalStore } from '../../ledger/portal-store.js';
import type { AppDeps } from '../deps.js';
import { badRequest, HttpError, type FieldError } from '../errors.js';
import { moneyField } from '../convert.js';
import { errorResponses, tenantParams } from '../schemas/common.js';
import { topUpView } from '../schemas/funds.js';
import { tenantLookup } from './lookup.js';

const purchaseBody = z.strictObject({
  reference: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{7,99}$/, '8-100 letters, digits, ".", "_", ":" or "-"').describe('Made once per purchase by the caller; a repeat adds nothing'),
  amount: z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, 'a decimal amount as text, e.g. "20.00"'),
});

export const purchaseRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger' | 'config'> & { portal: PortalStore; now: () => number }> = async (app, { ledger, config, portal, now }) => {
  const requireTenant = tenantLookup(ledger);

  app.post('/tenants/:tenantId/purchases', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['funds'],
      summary: 'Buy credits through the payment provider, once per reference',
      description:
        '201 applied=true when the provider took the payment and the money was added; 200 applied=false for a reference already applied; ' +
        '402 PAYMENT_DECLINED with the provider\'s reason; 409 while the same reference is in flight; 502 when the provider cannot be reached ' +
        '(retry with the same reference); 409 NO_PAYMENT_PROVIDER when payments.provider is manual.',
      params: tenantParams,
      body: purchaseBody,
      response: { 200: topUpView, 201: topUpView, 402: errorResponses[404], 409: errorResponses[404], 502: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    const tenant = await requireTenant(req.params.tenantId);
    const fields: FieldError[] = [];
    const amount = moneyField(fields, 'amount', req.body.amount, tenant.currency, { positive: true });
    if (fields.length > 0) throw badRequest(fields);
    const payments = config.payments;
    if (payments.provider !== 'http' || !payments.url) {
      throw new HttpError(409, 'NO_PAYMENT_PROVIDER', 'this gateway takes no card payments (payments.provider is manual): ask your operator for a top-up');
    }
    const reference = `purchase:${tenant.id}:${req.body.reference}`;
    const release = await portal.claimPurchase(tenant.id, reference, payments.timeoutMs * 2 + 10_000);
    if (!release) throw new HttpError(409, 'CONFLICT', 'this purchase is already being paid; wait for its answer');
    try {
      const paid = await postRecharge(
        { url: payments.url, ...(payments.token ? { token: payments.token } : {}), timeoutMs: payments.timeoutMs },
        { tenantId: tenant.id, amount: formatMoney(amount, tenant.currency), currency: tenant.currency, reference },
      );
      if (!paid.ok) {
        if (paid.permanent) throw new HttpError(402, 'PAYMENT_DECLINED', `the payment was declined: ${paid.reason}`);
        throw new HttpError(502, 'PAYMENT_UNAVAILABLE', `${paid.reason}; nothing was added: try again (the same purchase is never paid twice)`);
      }
      const r = await ledger.topUp(tenant.id, reference, amount, now());
      req.log.info({ tenantId: tenant.id, reference, applied: r.applied, paymentId: paid.value.paymentId }, 'credits purchased');
      return reply.code(r.applied ? 201 : 200).send({
        applied: r.applied,
        reference: r.reference,
        amount: formatMoney(r.amount, tenant.currency),
        currency: tenant.currency,
        balanceAfter: formatMoney(r.balanceAfter, tenant.currency),
      });
    } finally {
      await release();
    }
  });
};
