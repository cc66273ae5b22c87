/**
 * Unauthenticated operational endpoints: liveness (/healthz), readiness
 * (/readyz, from the probes it is given) and Prometheus metrics (/metrics).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps, ReadinessProbe } from '../deps.js';

const PROBE_TIMEOUT_MS = 2000;

const readyView = z
  .object({
    ready: z.boolean(),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .meta({ id: 'Readiness' });

async function runProbe(probe: ReadinessProbe): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    const ok = await Promise.race([Promise.resolve().then(probe), timeout]);
    return ok ? { ok: true } : { ok: false, error: 'not ready' };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Every check at once, each bounded: what /readyz answers and what /metrics reports as tollgate_ready. */
async function checkReadiness(readiness: AppDeps['readiness']): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; error?: string }> }> {
  const names = Object.keys(readiness);
  const results = await Promise.all(names.map((n) => runProbe(readiness[n]!)));
  return { ready: results.every((r) => r.ok), checks: Object.fromEntries(names.map((n, i) => [n, results[i]!])) };
}

export const healthRoutes: FastifyPluginAsyncZod<Pick<AppDeps, 'metrics' | 'readiness'>> = async (app, { metrics, readiness }) => {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: 200 only when every dependency check passes',
      description: 'Checks such as redis, drachtio and rates; the body names each one that failed and why.',
      response: { 200: readyView, 503: readyView },
    },
  }, async (_req, reply) => {
    const { ready, checks } = await checkReadiness(readiness);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' },
  }, async (_req, reply) => {
    // Readiness is measured at each scrape (a hung Redis's PING is bounded at 1.5 s, under any sane scrape_timeout).
    const { ready, checks } = await checkReadiness(readiness);
    metrics.ready.set(ready ? 1 : 0);
    for (const [check, result] of Object.entries(checks)) metrics.readyCheck.set({ check }, result.ok ? 1 : 0);
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
