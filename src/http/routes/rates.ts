/**
 * Admin API: the rate tables in service, reload with every problem named by
 * file and line (422, the old tables keep serving), and price quotes.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formatMoney } from '../../money.js';
import { billedSeconds, chargeFor, normalizeNumber, type OutboundRate, type TollFreeRate } from '../../rating/index.js';
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
      response: { 200: quoteView, ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const atMs = q.at !== undefined ? instantMs(q.at) : now();
    const book = rates.book;
    if (!q.tollFree && q.country !== undefined && book.isEmergency(q.country, q.to)) {
      return { kind: 'emergency' as const, rateVersion: book.version, to: q.to, country: q.country, seconds: q.seconds, billedSeconds: 0, charge: '0' };
    }
    const to = normalizeNumber(q.to, q.country);
    const from = q.from !== undefined ? normalizeNumber(q.from, q.country) : undefined;
    const fields = [];
    if (!to.ok) fields.push({ path: 'to', message: to.reason });
    if (from && !from.ok) fields.push({ path: 'from', message: from.reason });
    if (q.tollFree && !from) fields.push({ path: 'from', message: "required with tollFree=true: the caller's origin picks the rate" });
    if (!to.ok || (from && !from.ok) || fields.length > 0) throw badRequest(fields);

    let rate: OutboundRate | TollFreeRate | undefined;
    let what: string;
    if (q.tollFree && from) {
      const serviceCountry = to.country ?? book.outbound(to.e164, atMs)?.country;
      if (!serviceCountry) throw badRequest([{ path: 'to', message: `cannot tell the country of toll-free number ${to.e164}` }]);
      rate = book.tollFree(from.e164, serviceCountry, atMs);
      what = `a caller ${from.e164} reaching a ${serviceCountry} toll-free number`;
    } else {
      rate = book.outbound(to.e164, atMs);
      what = to.e164;
    }
    if (!rate) {
      throw new HttpError(404, 'NO_RATE', `no rate for ${what} at ${new Date(atMs).toISOString()} (rates ${book.version}): the call would be rejected`);
    }
    const c = rate.currency;
    const common = {
      rateVersion: book.version,
      to: to.e164,
      ...(from ? { from: from.e164 } : {}),
      currency: c,
      pricePerMinute: formatMoney(rate.pricePerMinute, c),
      connectFee: formatMoney(rate.connectFee, c),
      initialIncrement: rate.initialIncrement,
      subsequentIncrement: rate.subsequentIncrement,
      seconds: q.seconds,
      billedSeconds: billedSeconds(q.seconds, rate.initialIncrement, rate.subsequentIncrement),
      charge: formatMoney(chargeFor(rate, q.seconds), c),
      source: rate.source,
    };
    return 'prefix' in rate
      ? { kind: 'outbound' as const, country: rate.country, destination: rate.destination, numberType: rate.numberType, premiumAllowed: rate.premiumAllowed, ...common }
      : { kind: 'toll-free' as const, country: rate.originCountry, ...common };
  });
};
