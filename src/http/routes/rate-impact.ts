/**
 * Admin API: POST /v1/rates/impact, the dry run of a rate change. The
 * candidate files are loaded as a reload would (422 naming every problem),
 * then the recorded calls of the period are re-priced; no balance is touched
 * and the tables in service stay as they are.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BANDS_FILE, buildRateBook, RATE_FILES, RateLoadError } from '../../rating/index.js';
import { impactOfRecorded, impactView as viewOf } from '../../usage/rate-impact.js';
import type { AppDeps } from '../deps.js';
import { badRequest, HttpError } from '../errors.js';
import { errorResponses, instantMs } from '../schemas/common.js';
import { reloadRejectedView } from '../schemas/operations.js';
import { impactBody, impactView } from '../schemas/rate-impact.js';

/** Rate files can be large: the body of this route may be, too. */
const IMPACT_BODY_LIMIT = 32 * 1024 * 1024;
const DAY_MS = 86_400_000;

type Deps = Pick<AppDeps, 'ledger' | 'config' | 'history'> & { now: () => number };

export const rateImpactRoutes: FastifyPluginAsyncZod<Deps> = async (app, { ledger, config, history, now }) => {
  const known = new Set<string>([...RATE_FILES, BANDS_FILE, 'high-risk.csv']);
  app.post('/rates/impact', {
    bodyLimit: IMPACT_BODY_LIMIT,
    schema: {
      tags: ['rates'],
      summary: 'Preview a rate change: re-price the recorded calls with candidate files, touching nothing',
      description:
        'Loads the candidate files as a reload would (files left out come from the rates directory in service) and ' +
        're-prices the calls started in [from, to); 422 names every problem by file and line.',
      body: impactBody,
      response: { 200: impactView, 422: reloadRejectedView, ...errorResponses },
    },
  }, async (req, reply) => {
    const body = req.body;
    const unknown = Object.keys(body.files).filter((n) => !known.has(n));
    if (unknown.length > 0) throw badRequest(unknown.map((n) => ({ path: `files.${n}`, message: `not a rate file; expected ${[...known].join(', ')}` })));
    const toMs = body.to !== undefined ? instantMs(body.to) : now();
    const fromMs = body.from !== undefined ? instantMs(body.from) : toMs - 30 * DAY_MS;
    if (toMs <= fromMs) throw badRequest([{ path: 'to', message: 'must be after from' }]);
    const contents = new Map<string, string>(Object.entries(body.files));
    for (const name of known) {
      if (contents.has(name)) continue;
      try {
        contents.set(name, await readFile(join(config.rates.dir, name), 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    let book;
    try {
      book = (await buildRateBook('candidate', contents)).book;
    } catch (err) {
      if (!(err instanceof RateLoadError)) throw err;
      return reply.code(422).send({
        error: 'BAD_RATES',
        message: `candidate rate files rejected (${err.problems.length} problem(s)); nothing was re-priced`,
        version: '',
        problems: err.problems.map((p) => p.toString()),
      });
    }
    let tenants: string[];
    if (body.tenant !== undefined) {
      if (!(await ledger.getTenant(body.tenant))) throw new HttpError(404, 'NOT_FOUND', `tenant ${body.tenant} does not exist`);
      tenants = [body.tenant];
    } else tenants = (await ledger.listTenants()).sort();
    const report = await impactOfRecorded(book, history ?? ledger, tenants, fromMs, toMs);
    return { ...viewOf(report), source: history ? ('postgres' as const) : ('redis' as const) };
  });
};
