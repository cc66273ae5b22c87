/**
 * Admin API: who may act for a tenant. Tenant admin accounts (created by the
 * operator; a password is stored only as its argon2id hash) and tenant API
 * keys (secret shown once, stored as SHA-256, one tenant, read or manage,
 * revocable). Rule 30: a tenant's admins see only their own tenant's.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Ledger } from '../../ledger/types.js';
import type { PortalStore } from '../../ledger/portal-store.js';
import { hashPassword } from '../../portal/passwords.js';
import { HttpError, notFound } from '../errors.js';
import { deleted, errorResponses, tenantParams } from '../schemas/common.js';
import { adminBody, adminParams, adminView, apiKeyBody, apiKeyCreated, apiKeyParams, apiKeyView, passwordBody } from '../schemas/access.js';
import { tenantLookup } from './lookup.js';

const conflict = errorResponses[404];

export const accessRoutes: FastifyPluginAsyncZod<{ ledger: Ledger; portal: PortalStore; now: () => number }> = async (app, { ledger, portal, now }) => {
  const requireTenant = tenantLookup(ledger);
  const requireAdmin = async (tenantId: string, adminId: string) => {
    const a = await portal.getAdmin(tenantId, adminId);
    if (!a) throw notFound(`admin ${adminId} of tenant "${tenantId}"`);
    return a;
  };

  app.post('/tenants/:tenantId/admins', {
    schema: {
      tags: ['access'],
      summary: 'Create a tenant admin account (portal sign-in)',
      description: 'Operator only. The e-mail address is unique across all tenants (409 otherwise). The password is kept only as an argon2id hash.',
      params: tenantParams,
      body: adminBody,
      response: { 201: adminView, 409: conflict, ...errorResponses },
    },
  }, async (req, reply) => {
    await requireTenant(req.params.tenantId);
    const passwordHash = await hashPassword(req.body.password);
    const account = await portal.createAdmin(req.params.tenantId, { email: req.body.email, displayName: req.body.displayName, role: req.body.role, passwordHash }, now());
    return reply.code(201).send(account);
  });

  app.get('/tenants/:tenantId/admins', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['access'], summary: "The tenant's admin accounts", params: tenantParams, response: { 200: z.object({ admins: z.array(adminView) }), ...errorResponses } },
  }, async (req) => {
    await requireTenant(req.params.tenantId);
    return { admins: await portal.listAdmins(req.params.tenantId) };
  });

  app.delete('/tenants/:tenantId/admins/:adminId', {
    schema: { tags: ['access'], summary: 'Delete an admin account; its sessions end at once', params: adminParams, response: { 204: deleted, ...errorResponses } },
  }, async (req, reply) => {
    if (!(await portal.deleteAdmin(req.params.tenantId, req.params.adminId))) throw notFound(`admin ${req.params.adminId} of tenant "${req.params.tenantId}"`);
    return reply.code(204).send();
  });

  app.put('/tenants/:tenantId/admins/:adminId/password', {
    schema: { tags: ['access'], summary: "Set an admin's password; every session of the account ends", params: adminParams, body: passwordBody, response: { 204: deleted, ...errorResponses } },
  }, async (req, reply) => {
    await requireAdmin(req.params.tenantId, req.params.adminId);
    await portal.setPassword(req.params.tenantId, req.params.adminId, await hashPassword(req.body.password));
    return reply.code(204).send();
  });

  app.post('/tenants/:tenantId/admins/:adminId/sign-out', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['access'],
      summary: 'Sign an admin out everywhere (every session of the account ends)',
      description: 'The operator for any admin; a tenant admin for their own account only.',
      params: adminParams,
      response: { 204: deleted, ...errorResponses },
    },
  }, async (req, reply) => {
    const p = req.principal;
    if (p?.kind === 'tenant' && p.adminId !== req.params.adminId) throw new HttpError(403, 'FORBIDDEN', 'an admin may sign out only their own account everywhere');
    await requireAdmin(req.params.tenantId, req.params.adminId);
    await portal.signOutEverywhere(req.params.tenantId, req.params.adminId);
    return reply.code(204).send();
  });

  app.post('/tenants/:tenantId/api-keys', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['access'],
      summary: 'Create a tenant API key (the secret is in this answer only)',
      description: 'The operator, or a tenant admin signed in with a manage account; an API key cannot create keys.',
      params: tenantParams,
      body: apiKeyBody,
      response: { 201: apiKeyCreated, ...errorResponses },
    },
  }, async (req, reply) => {
    if (req.principal?.kind === 'tenant' && req.principal.via === 'key') throw new HttpError(403, 'FORBIDDEN', 'an API key cannot create API keys');
    await requireTenant(req.params.tenantId);
    const { key, record } = await portal.createApiKey(req.params.tenantId, req.body, now());
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ ...record, key });
  });

  app.get('/tenants/:tenantId/api-keys', {
    config: { tenantAccess: 'read' },
    schema: { tags: ['access'], summary: "The tenant's API keys (never their secrets)", params: tenantParams, response: { 200: z.object({ apiKeys: z.array(apiKeyView) }), ...errorResponses } },
  }, async (req) => {
    await requireTenant(req.params.tenantId);
    return { apiKeys: await portal.listApiKeys(req.params.tenantId) };
  });

  app.delete('/tenants/:tenantId/api-keys/:keyId', {
    config: { tenantAccess: 'manage' },
    schema: { tags: ['access'], summary: 'Revoke an API key (it stops working at once; the record stays, marked revoked)', params: apiKeyParams, response: { 200: apiKeyView, ...errorResponses } },
  }, async (req) => {
    const revoked = await portal.revokeApiKey(req.params.tenantId, req.params.keyId, now());
    if (!revoked) throw notFound(`API key ${req.params.keyId} of tenant "${req.params.tenantId}"`);
    return revoked;
  });
};
