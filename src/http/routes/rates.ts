/**
 * Admin API: the rate tables in service, reload with every problem named by
 * file and line (422, the old tables keep serving), and price quotes.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { quoteCall } from '../../rating/index.js';
import type { AppDeps } from '../deps.js';
import { HttpError, badRequest } from '../errors.js';
import { errorResponses, instantMs } from '../schemas/common.js';
import { quoteQuery, quoteView, ratesStatusView, reloadRejectedView, reloadView } from '../schemas/operations.js';

export const rateRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'rates'> & { now: () => number }> = async (app, { rates, now }) => {
  let swappedAtMs = rates.loadedAtMs ?? now();
  const unsubscribe = rates.onSwap(() => {
    swappedAtMs = now();
  });
  app.addHook('onClose', async () => {
    unsubscribe();
  });
  const loadedAt = () => new Date(rates.loadedAtMs ?? swappedAtMs).toISOString();

  app.get('/rates', {
    schema: { tags: ['rates'], summary: 'The rate tables in service', response: { 200: ratesStatusView, ...errorResponses } },
  }, async () => ({ version: rates.book.version, loadedAt: loadedAt(), counts: { ...rates.rows } }));

  app.post('/rates/reload', {
    schema: {
      tags: ['rates'],
      summary: 'Re-read the rate files; a bad file is rejected as a whole',
      description: '200 with the version in service (loaded or unchanged); 422 naming every problem by file and line.',
      response: { 200: reloadView, 422: reloadRejectedView, ...errorResponses },
    },
  }, async (_req, reply) => {
    const r = await rates.reload('api');
    if (r.outcome === 'rejected') {
      return reply.code(422).send({
        error: 'BAD_RATES',
        message: `rate files rejected (${r.problems.length} problem(s)); still serving version ${r.version}`,
        version: r.version,
        problems: r.problems,
      });
    }
    return {
      outcome: r.outcome,
      version: r.version,
      ...(r.outcome === 'loaded' ? { previous: r.previous } : {}),
      counts: { ...rates.rows },
    };
  });

  app.get('/rates/quote', {
    schema: {
      tags: ['rates'],
      summary: 'Price a call of a given length (outbound, or toll-free by caller origin)',
      querystring: quoteQuery,
      response: { 200: quoteView, 403: errorResponses[404], ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const outcome = quoteCall(rates.book, {
      to: q.to,
      ...(q.from !== undefined ? { from: q.from } : {}),
      seconds: q.seconds,
      atMs: q.at !== undefined ? instantMs(q.at) : now(),
      tollFree: q.tollFree,
      ...(q.country !== undefined ? { country: q.country } : {}),
    });
    if (outcome.ok) return outcome.quote;
    if (outcome.code === 'BAD_NUMBER') throw badRequest(outcome.fields);
    // The answer the call itself would get: no rate is 404, a blocked premium number 403 (as the SIP 403).
    throw new HttpError(outcome.code === 'NO_RATE' ? 404 : 403, outcome.code, outcome.message);
  });
};
