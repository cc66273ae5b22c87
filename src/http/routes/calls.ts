/**
 * Admin API: the live calls of this instance and the admin hang-up, which
 * ends both legs and settles the call with end reason admin_hangup.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { LiveCall } from '../../calls/types.js';
import { formatMoney } from '../../money.js';
import type { AppDeps } from '../deps.js';
import { confinedTenant } from '../auth.js';
import { notFound } from '../errors.js';
import { errorResponses } from '../schemas/common.js';
import { callParams, liveCallView } from '../schemas/operations.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function liveCallToView(c: LiveCall): z.output<typeof liveCallView> {
  return {
    callId: c.callId,
    tenantId: c.tenantId,
    ...(c.userId !== undefined ? { userId: c.userId } : {}),
    callType: c.callType,
    direction: c.direction,
    state: c.state,
    destination: c.destination,
    currency: c.currency,
    createdAt: iso(c.createdAtMs),
    ...(c.answeredAtMs !== undefined ? { answeredAt: iso(c.answeredAtMs) } : {}),
    fundedSeconds: c.fundedSeconds,
    ...(c.fundedUntilMs !== undefined ? { fundedUntil: iso(c.fundedUntilMs) } : {}),
    held: formatMoney(c.heldMicros, c.currency),
    free: c.free,
    unbilled: c.unbilled,
  };
}

export const callRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'calls'>> = async (app, { calls }) => {
  app.get('/calls', {
    config: { tenantAccess: 'read' },
    schema: {
      tags: ['calls'],
      summary: 'Live calls of this instance',
      querystring: z.strictObject({ tenantId: z.string().min(1).optional() }),
      response: { 200: z.object({ calls: z.array(liveCallView) }), ...errorResponses },
    },
  }, async (req) => {
    // Rule 30: a tenant's admins and keys see their own tenant's calls only, whatever they ask for.
    const only = confinedTenant(req) ?? req.query.tenantId;
    const live = calls.liveCalls().filter((c) => only === undefined || c.tenantId === only);
    return { calls: live.map(liveCallToView) };
  });

  app.delete('/calls/:callId', {
    config: { tenantAccess: 'manage' },
    schema: {
      tags: ['calls'],
      summary: 'Hang up a live call (both legs); it settles as admin_hangup',
      params: callParams,
      response: { 204: z.undefined().describe('Hang-up started'), ...errorResponses },
    },
  }, async (req, reply) => {
    const only = confinedTenant(req);
    // Another tenant's call reads as no call at all.
    if (only !== undefined && !calls.liveCalls().some((c) => c.callId === req.params.callId && c.tenantId === only)) {
      throw notFound(`live call "${req.params.callId}" on this instance`);
    }
    if (!(await calls.hangUp(req.params.callId))) throw notFound(`live call "${req.params.callId}" on this instance`);
    return reply.code(204).send();
  });
};
