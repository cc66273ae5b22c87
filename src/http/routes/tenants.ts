/**
 * Admin API: tenants. PUT is an idempotent upsert by the id in the path:
 * 201 when created, 200 when replaced.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { tenantFromBody, tenantToView } from '../convert.js';
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

export const tenantRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger'>> = async (app, { ledger }) => {
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
    schema: { tags: ['tenants'], summary: 'Read a tenant', params: tenantParams, response: { 200: tenantView, ...errorResponses } },
  }, async (req) => tenantToView(await requireTenant(req.params.tenantId)));

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
    return reply.code(204).send();
  });
};
