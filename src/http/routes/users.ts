/**
 * Admin API: the users of a tenant, upserted by id with PUT (201 created,
 * 200 replaced); plans must come from the configured catalog.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { User } from '../../domain.js';
import type { AppDeps } from '../deps.js';
import { HttpError, badRequest, notFound } from '../errors.js';
import { limitsFromBody, limitsToView, userToView } from '../convert.js';
import { deleted, errorResponses, tenantParams } from '../schemas/common.js';
import { userBody, userParams, userView } from '../schemas/tenant.js';
import { tenantLookup } from './lookup.js';

/** JSON with sorted keys: two limit objects compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? 'undefined';
}

export const userRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'ledger' | 'config'>> = async (app, { ledger, config }) => {
  const requireTenant = tenantLookup(ledger);

  app.get('/tenants/:tenantId/users', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['users'], summary: "List a tenant's users", params: tenantParams, response: { 200: z.object({ users: z.array(userView) }), ...errorResponses } },
  }, async (req) => {
    const tenant = await requireTenant(req.params.tenantId);
    return { users: (await ledger.listUsers(req.params.tenantId)).map((u) => userToView(u, tenant.currency)) };
  });

  app.put('/tenants/:tenantId/users/:userId', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['users'],
      summary: 'Create or replace a user (idempotent)',
      description: 'plan must be a SKU of the configured plan catalog; number must not belong to another user (409).',
      params: userParams,
      body: userBody,
      response: { 200: userView, 201: userView, 409: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    const { tenantId, userId } = req.params;
    const body = req.body;
    if (body.plan !== undefined && !config.plans.some((p) => p.sku === body.plan)) {
      throw badRequest([{ path: 'plan', message: `unknown plan "${body.plan}"; configured: ${config.plans.map((p) => p.sku).join(', ')}` }]);
    }
    const tenant = await requireTenant(tenantId);
    if (body.number !== undefined) {
      const holder = await ledger.findUserByNumber(body.number);
      if (holder && (holder.tenantId !== tenantId || holder.id !== userId)) {
        throw new HttpError(409, 'CONFLICT', `number ${body.number} is already assigned to user "${holder.id}" of tenant "${holder.tenantId}"`);
      }
    }
    const existing = await ledger.getUser(tenantId, userId);
    // Rule 28's limits are the operator's brake on fraud: a tenant's admins keep them as they are.
    let limits = body.limits ? limitsFromBody(body.limits) : undefined;
    if (req.principal?.kind === 'tenant') {
      const current = existing?.limits ? limitsToView(existing.limits, tenant.currency) : undefined;
      if (body.limits !== undefined && canonical(body.limits) !== canonical(current)) {
        throw new HttpError(403, 'FORBIDDEN', "a user's limits are set by the operator; leave limits out to keep them");
      }
      limits = existing?.limits;
    }
    const user: User = {
      id: userId,
      tenantId,
      upn: body.upn,
      displayName: body.displayName,
      usageCountry: body.usageCountry,
      policy: body.policy,
      dialOutPolicy: body.dialOutPolicy,
      licences: [...new Set(body.licences)],
      ...(body.number !== undefined ? { number: body.number } : {}),
      ...(body.plan !== undefined ? { plan: body.plan } : {}),
      ...(limits ? { limits } : {}),
    };
    await ledger.putUser(user);
    return reply.code(existing ? 200 : 201).send(userToView(user, tenant.currency));
  });

  app.get('/tenants/:tenantId/users/:userId', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['users'], summary: 'Read a user', params: userParams, response: { 200: userView, ...errorResponses } },
  }, async (req) => {
    const tenant = await requireTenant(req.params.tenantId);
    const user = await ledger.getUser(req.params.tenantId, req.params.userId);
    if (!user) throw notFound(`user "${req.params.userId}" of tenant "${req.params.tenantId}"`);
    return userToView(user, tenant.currency);
  });

  app.delete('/tenants/:tenantId/users/:userId', {
    config: { tenantAccess: 'manage' },
    schema: { tags: ['users'], summary: 'Delete a user', params: userParams, response: { 204: deleted, ...errorResponses } },
  }, async (req, reply) => {
    if (!(await ledger.deleteUser(req.params.tenantId, req.params.userId))) {
      throw notFound(`user "${req.params.userId}" of tenant "${req.params.tenantId}"`);
    }
    return reply.code(204).send();
  });
};
