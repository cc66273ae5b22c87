/**
 * The call-control API under /v1/control: what a SIP platform (Kamailio's
 * script) calls on every INVITE and dialog event. Its own bearer token
 * (kamailio.controlToken), never the admin token.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tokenMatches } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { apiError } from '../http/schemas/common.js';
import type { ControlFront } from './control-front.js';

const text = (max: number) => z.string().max(max);

export const authorizeBody = z
  .strictObject({
    callId: z.string().min(1).max(256),
    sourceAddress: z.string().min(1).max(64),
    sourcePort: z.coerce.number().int().min(0).max(65535),
    requestUri: z.string().min(1).max(2048),
    from: text(2048).optional(),
    pAssertedIdentity: text(2048).optional(),
    headers: z.record(z.string().max(128), text(2048)).default({}),
  })
  .meta({ id: 'ControlAuthorizeRequest', description: 'An INVITE as the platform received it' });

const SETUP_KEYS = new Set(['callId', 'sourceAddress', 'sourcePort', 'requestUri', 'from', 'pAssertedIdentity', 'headers']);
const isText = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;
/** An object as JSON.parse makes one. */
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * authorizeBody's check without zod (several µs an INVITE at thousands a
 * second) for the shape a platform sends: every field already of its type
 * (the port a number, the headers present). True only where the schema would
 * accept the value and give it back unchanged; anything else (a port as text,
 * no headers, any fault) goes to the schema, which also words the error.
 */
export function setupLooksValid(v: unknown): v is z.output<typeof authorizeBody> {
  if (!isPlainObject(v)) return false;
  for (const key in v) if (!SETUP_KEYS.has(key)) return false;
  if (!isText(v.callId, 1, 256) || !isText(v.sourceAddress, 1, 64) || !isText(v.requestUri, 1, 2048)) return false;
  if (!Number.isInteger(v.sourcePort) || (v.sourcePort as number) < 0 || (v.sourcePort as number) > 65535) return false;
  if (v.from !== undefined && !isText(v.from, 0, 2048)) return false;
  if (v.pAssertedIdentity !== undefined && !isText(v.pAssertedIdentity, 0, 2048)) return false;
  const headers = v.headers;
  if (!isPlainObject(headers)) return false;
  // A header named __proto__ is the schema's to judge: its copy of the record would not keep it as a key.
  for (const name in headers) if (name.length > 128 || name === '__proto__' || !isText(headers[name], 0, 2048)) return false;
  return true;
}

const decisionView = z
  .object({
    decision: z.enum(['allow', 'refuse']),
    callToken: z.string().optional(),
    fundedSeconds: z.number().int().nullable().optional(),
    destination: z.string().optional(),
    target: z.string().optional(),
    callType: z.string().optional(),
    code: z.string().optional(),
    status: z.number().int().optional(),
    phrase: z.string().optional(),
    message: z.string().optional(),
    sipHeaders: z.string().optional(),
    retryAfter: z.number().int().optional(),
  })
  .meta({ id: 'ControlDecision', description: 'allow (relay to target) or refuse (answer status/phrase with sipHeaders)' });

const tokenParams = z.object({ token: z.string().min(1).max(64) });
export const dialogRef = z.strictObject({ hEntry: z.coerce.number().int().min(0), hId: z.coerce.number().int().min(0) });
const answeredBody = z.strictObject({ dialog: dialogRef.optional() }).default({});
export const PLATFORM_END_REASONS = ['caller_hangup', 'callee_hangup', 'cancelled', 'failed', 'edge_lost'] as const;
const endedBody = z.strictObject({ reason: z.enum(PLATFORM_END_REASONS) });
const verdictView = z.object({ keep: z.boolean(), reason: z.string().optional() });
const errors = { 400: apiError, 401: apiError, 404: apiError, 409: apiError };

/**
 * The token as a bearer token, or as the password of HTTP Basic (Kamailio's
 * http_client sends credentials from its httpcon URL; it has no header slot beside Content-Type).
 */
function presentedToken(header: string | undefined): string | undefined {
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  if (bearer) return bearer[1];
  const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

function requireControlToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const presented = presentedToken(request.headers.authorization);
    if (presented === undefined || !tokenMatches(presented, token)) {
      reply.header('www-authenticate', 'Bearer realm="tollgate-control"');
      throw new HttpError(401, 'UNAUTHORIZED', 'send "Authorization: Bearer <kamailio.controlToken>" (or the token as the Basic password)');
    }
  });
}

const unknownToken = (token: string) => new HttpError(404, 'NOT_FOUND', `no call with token "${token}" on this instance: end the dialog`);

export const controlRoutes: FastifyPluginAsyncZod<{ front: ControlFront; token: string }> = async (app, { front, token }) => {
  requireControlToken(app, token);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, tags: ['control'], security: [{ bearer: [] }] };
  });

  app.post('/authorize', {
    schema: { summary: 'Admit or refuse a call setup (an INVITE from a bridge or trunk)', body: authorizeBody, response: { 200: decisionView, ...errors } },
  }, async (req) => front.authorize(req.body));

  app.post('/calls/:token/answered', {
    schema: {
      summary: 'The callee answered; metering starts. keep:false tells the platform to end the dialog now',
      params: tokenParams,
      body: answeredBody,
      response: { 200: verdictView, ...errors },
    },
  }, async (req) => {
    const verdict = await front.answered(req.params.token, req.body.dialog);
    if (!verdict) throw unknownToken(req.params.token);
    return verdict;
  });

  app.post('/calls/:token/ended', {
    schema: { summary: 'The call ended on the platform (BYE, CANCEL, failure answer); it settles', params: tokenParams, body: endedBody, response: { 200: z.object({ ended: z.boolean() }), ...errors } },
  }, async (req) => {
    if (!(await front.ended(req.params.token, req.body.reason))) throw unknownToken(req.params.token);
    return { ended: true };
  });

  app.post('/calls/:token/keepalive', {
    schema: {
      summary: 'Is the call still live here? 404 means end the dialog',
      params: tokenParams,
      response: { 200: z.object({ state: z.string(), fundedSeconds: z.number().int().optional(), fundedUntil: z.string().optional() }), ...errors },
    },
  }, async (req) => {
    const alive = front.keepAlive(req.params.token);
    if (!alive) throw unknownToken(req.params.token);
    if (alive.state === 'ended') throw new HttpError(409, 'CONFLICT', 'the call has ended: end the dialog');
    return {
      state: alive.call?.state ?? alive.state,
      ...(alive.call ? { fundedSeconds: alive.call.fundedSeconds } : {}),
      ...(alive.call?.fundedUntilMs !== undefined ? { fundedUntil: new Date(alive.call.fundedUntilMs).toISOString() } : {}),
    };
  });
};
