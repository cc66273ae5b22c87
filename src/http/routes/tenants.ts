/**
 * Admin API: tenants. PUT is an idempotent upsert by the id in the path:
 * 201 when created, 200 when replaced.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Tenant } from '../../domain.js';
import type { PortalStore } from '../../ledger/portal-store.js';
import { tenantMoneyProblems } from '../../ledger/validate.js';
import { parseMoney } from '../../money.js';
import type { AppDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { tenantFromBody, tenantToView } from '../convert.js';
import { moneyText } from '../schemas/common.js';
import { noticeWebhookBody } from '../schemas/tenant.js';
import { deleted, errorResponses, tenantParams } from '../schemas/common.js';
import { tenantBody, tenantView } from '../schemas/tenant.js';
import { tenantLookup } from './lookup.js';

const deleteTenantQuery = z.strictObject({
  force: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Delete even with money or usage records left (never with live calls)'),
});

/** What a tenant's own admins may change of it: auto-recharge and the notice address (null turns either off). */
const tenantSettingsBody = z.strictObject({
  autoRecharge: z
    .strictObject({ threshold: moneyText, amount: moneyText })
    .nullable()
    .optional()
    .describe('Recharge by amount when a debit leaves the balance below threshold; null turns it off'),
  noticeEmail: z.email().max(254).nullable().optional().describe('Where notices go by e-mail; null: nowhere of the tenant'),
  noticeWebhook: noticeWebhookBody.nullable().optional().describe('The tenant\'s own notice webhook; null removes it'),
});

export const tenantRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger'> & { portal?: PortalStore }> = async (app, { ledger, portal }) => {
  const requireTenant = tenantLookup(ledger);

  app.get('/tenants', {
    schema: { tags: ['tenants'], summary: 'List tenants', response: { 200: z.object({ tenants: z.array(tenantView) }), ...errorResponses } },
  }, async () => {
    const tenants = await ledger.getTenants(await ledger.listTenants());
    return { tenants: tenants.map(tenantToView) };
  });

  app.put('/tenants/:tenantId', {
    schema: {
      tags: ['tenants'],
      summary: 'Create or replace a tenant (idempotent)',
      description: 'The currency can change only while the tenant holds no money and has no live calls (409 otherwise).',
      params: tenantParams,
      body: tenantBody,
      response: { 200: tenantView, 201: tenantView, 409: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    const tenant = tenantFromBody(req.params.tenantId, req.body);
    const existing = await ledger.getTenant(tenant.id);
    // The ledger refuses a currency change (409) while the tenant holds money or has live calls.
    await ledger.putTenant(tenant);
    return reply.code(existing ? 200 : 201).send(tenantToView(tenant));
  });

  app.get('/tenants/:tenantId', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['tenants'], summary: 'Read a tenant', params: tenantParams, response: { 200: tenantView, ...errorResponses } },
  }, async (req) => tenantToView(await requireTenant(req.params.tenantId)));

  app.patch('/tenants/:tenantId', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['tenants'],
      summary: "Change a tenant's auto-recharge, notice address and notice webhook (what its own admins may change)",
      description: 'Fields left out keep their value; the money rules are those of PUT (whole in the minor unit of the currency).',
      params: tenantParams,
      body: tenantSettingsBody,
      response: { 200: tenantView, ...errorResponses },
    },
  }, async (req) => {
    const tenant = await requireTenant(req.params.tenantId);
    const body = req.body;
    const next: Tenant = { ...tenant };
    if (body.autoRecharge === null) delete next.autoRecharge;
    else if (body.autoRecharge) next.autoRecharge = { threshold: parseMoney(body.autoRecharge.threshold), amount: parseMoney(body.autoRecharge.amount) };
    if (body.noticeEmail === null) delete next.noticeEmail;
    else if (body.noticeEmail !== undefined) next.noticeEmail = body.noticeEmail;
    if (body.noticeWebhook === null) delete next.noticeWebhook;
    else if (body.noticeWebhook) next.noticeWebhook = { url: body.noticeWebhook.url, secret: body.noticeWebhook.secret };
    const problems = tenantMoneyProblems({ currency: next.currency, autoRecharge: body.autoRecharge ? next.autoRecharge : undefined });
    if (problems.length > 0) throw badRequest(problems.map((p) => ({ path: p.path.join('.'), message: p.message })));
    await ledger.putTenant(next);
    return tenantToView(next);
  });

  app.delete('/tenants/:tenantId', {
    schema: {
      tags: ['tenants'],
      summary: 'Delete a tenant',
      description:
        '409 while the tenant has live calls, or (without force=true) a balance other than 0 or usage records. ' +
        'Top-up references are kept: after re-creating the tenant an old reference adds nothing.',
      params: tenantParams,
      querystring: deleteTenantQuery,
      response: { 204: deleted, 409: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    const deletedIt = await ledger.deleteTenant(req.params.tenantId, { ifUnused: !req.query.force, keepTopUps: true });
    if (!deletedIt) throw notFound(`tenant "${req.params.tenantId}"`);
    // Its admins and keys go with it: a tenant re-created under the same id starts with none.
    await portal?.purgeTenant(req.params.tenantId);
    return reply.code(204).send();
  });
};
