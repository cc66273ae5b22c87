/**
 * Admin API: a tenant's inbound service numbers (toll-free or toll), keyed
 * by E.164 number in the path; a number belongs to one tenant at a time.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServiceNumber } from '../../domain.js';
import type { AppDeps } from '../deps.js';
import { HttpError, notFound } from '../errors.js';
import { serviceNumberToView } from '../convert.js';
import { deleted, errorResponses, tenantParams } from '../schemas/common.js';
import { serviceNumberBody, serviceNumberParams, serviceNumberView } from '../schemas/tenant.js';
import { tenantLookup } from './lookup.js';

export const serviceNumberRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger'>> = async (app, { ledger }) => {
  const requireTenant = tenantLookup(ledger);

  app.get('/tenants/:tenantId/service-numbers', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['service numbers'],
      summary: "List a tenant's service numbers",
      params: tenantParams,
      response: { 200: z.object({ serviceNumbers: z.array(serviceNumberView) }), ...errorResponses },
    },
  }, async (req) => {
    await requireTenant(req.params.tenantId);
    return { serviceNumbers: (await ledger.listServiceNumbers(req.params.tenantId)).map(serviceNumberToView) };
  });

  const ownNumber = async (tenantId: string, number: string) => {
    const n = await ledger.getServiceNumber(number);
    if (!n || n.tenantId !== tenantId) throw notFound(`service number ${number} of tenant "${tenantId}"`);
    return n;
  };

  app.put('/tenants/:tenantId/service-numbers/:number', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['service numbers'],
      summary: 'Create or replace a service number (idempotent)',
      description: 'The number is E.164 with "+" in the path; one owned by another tenant gives 409.',
      params: serviceNumberParams,
      body: serviceNumberBody,
      response: { 200: serviceNumberView, 201: serviceNumberView, 409: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    const { tenantId, number } = req.params;
    await requireTenant(tenantId);
    const existing = await ledger.getServiceNumber(number);
    if (existing && existing.tenantId !== tenantId) {
      throw new HttpError(409, 'CONFLICT', `service number ${number} belongs to tenant "${existing.tenantId}"; delete it there first`);
    }
    // A tenant's admins may point their numbers elsewhere; only the operator assigns a number to a tenant.
    if (!existing && req.principal?.kind === 'tenant') throw new HttpError(403, 'FORBIDDEN', `only the operator assigns new service numbers; ${number} is not one of this tenant's`);
    const sn: ServiceNumber = { number, tenantId, ...req.body };
    await ledger.putServiceNumber(sn);
    return reply.code(existing ? 200 : 201).send(serviceNumberToView(sn));
  });

  app.get('/tenants/:tenantId/service-numbers/:number', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['service numbers'], summary: 'Read a service number', params: serviceNumberParams, response: { 200: serviceNumberView, ...errorResponses } },
  }, async (req) => serviceNumberToView(await ownNumber(req.params.tenantId, req.params.number)));

  app.delete('/tenants/:tenantId/service-numbers/:number', {
    schema: { tags: ['service numbers'], summary: 'Delete a service number', params: serviceNumberParams, response: { 204: deleted, ...errorResponses } },
  }, async (req, reply) => {
    await ownNumber(req.params.tenantId, req.params.number);
    await ledger.deleteServiceNumber(req.params.number);
    return reply.code(204).send();
  });
};
