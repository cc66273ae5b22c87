/**
 * Builds the HTTP application (admin API under /v1, health, metrics, OpenAPI
 * docs) from its dependencies, ready but not listening; main listens.
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppDeps } from './deps.js';
import { authenticate, authorizeTenants } from './auth.js';
import { BODY_LIMIT_BYTES, installErrorHandler, sendClientError } from './errors.js';
import { installJsonParser } from './json-body.js';
import { accessRoutes } from './routes/access.js';
import { callRoutes } from './routes/calls.js';
import { fundsRoutes } from './routes/funds.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { rateRoutes } from './routes/rates.js';
import { rateImpactRoutes } from './routes/rate-impact.js';
import { serviceNumberRoutes } from './routes/service-numbers.js';
import { tenantRoutes } from './routes/tenants.js';
import { purchaseRoutes } from './routes/purchases.js';
import { usageReportRoutes } from './routes/usage-report.js';
import { userRoutes } from './routes/users.js';
import { portalPlugin } from '../portal/plugin.js';
import type { PortalStore } from '../ledger/portal-store.js';

export type App = FastifyInstance;

const DOCS = '/docs';
const QUIET = /^\/(metrics|healthz|readyz|docs)(\/|\?|$)/;

/**
 * The zod provider writes every named schema twice, as "X" (responses) and
 * "XInput" (requests). Ours name response shapes only: an "XInput" that no
 * route refers to is dropped, so the document lists each schema once.
 */
const onceEachSchema: typeof jsonSchemaTransformObject = (document) => {
  const out = jsonSchemaTransformObject(document) as { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;
  const schemas = out.components?.schemas;
  if (!schemas) return out as ReturnType<typeof jsonSchemaTransformObject>;
  const used = JSON.stringify(out.paths ?? {});
  for (const name of Object.keys(schemas)) {
    if (name.endsWith('Input') && name.slice(0, -5) in schemas && !used.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return out as ReturnType<typeof jsonSchemaTransformObject>;
};

/** A resource's shutdown as its own plugin: fastify runs onClose hooks in reverse order of registration. */
function closeOnShutdown(app: FastifyInstance, name: string, close: () => unknown): void {
  app.register(async (scope) => {
    scope.addHook('onClose', async () => {
      try {
        await close();
      } catch (err) {
        scope.log.error({ err, resource: name }, 'closing a resource failed');
      }
    });
  });
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const now = deps.now ?? Date.now;
  // The Redis ledger carries the portal store; a port given explicitly wins.
  const portal: PortalStore | undefined = deps.portal ?? (deps.ledger as { portal?: PortalStore }).portal;
  const portalOn = portal !== undefined && deps.config.portal.enabled;
  const app = fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // fastify's own request logging says each request twice (received, completed): the hook below says it once.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    // Router refusals (URL too long, bad URL) answer in the API's error shape too.
    frameworkErrors: (err, _req, reply) => sendClientError(reply, err.statusCode ?? 400, err.message),
  });
  installJsonParser(app);
  app.addHook('onResponse', async (request, reply) => {
    // Scrapes and probes every few seconds would drown the admin API's request lines.
    if (QUIET.test(request.url)) return;
    request.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  if (deps.closeResources !== false) {
    closeOnShutdown(app, 'ledger', () => deps.ledger.close());
    closeOnShutdown(app, 'rates', () => deps.rates.close?.());
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tollgate admin API',
        version: '1',
        description:
          'Provisioning, funds, live calls, rates and usage of a Tollgate prepaid call-control gateway. ' +
          'Money is decimal text ("12.50"), never a number. Times are UTC ISO 8601.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: createJsonSchemaTransform({ skipList: [`${DOCS}`, `${DOCS}/*`, `${DOCS}/json`, `${DOCS}/yaml`] }),
    transformObject: onceEachSchema,
  });
  await app.register(swaggerUi, { routePrefix: DOCS });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  await typed.register(healthRoutes, { metrics: deps.metrics, readiness: deps.readiness });
  await typed.register(
    async (v1) => {
      authenticate(v1, { adminToken: deps.config.http.adminToken, ...(portalOn ? { portal } : {}), now });
      authorizeTenants(v1);
      v1.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{ bearer: [] }] };
      });
      await v1.register(tenantRoutes, { ledger: deps.ledger, ...(portal ? { portal } : {}) });
      await v1.register(userRoutes, { ledger: deps.ledger, config: deps.config });
      await v1.register(serviceNumberRoutes, { ledger: deps.ledger });
      await v1.register(fundsRoutes, { ledger: deps.ledger, now, ...(deps.history ? { history: deps.history } : {}) });
      await v1.register(historyRoutes, { ledger: deps.ledger, now, ...(deps.history ? { history: deps.history } : {}) });
      await v1.register(usageReportRoutes, { ledger: deps.ledger, now, ...(deps.history ? { history: deps.history } : {}) });
      if (portal) {
        await v1.register(accessRoutes, { ledger: deps.ledger, portal, now });
        await v1.register(purchaseRoutes, { ledger: deps.ledger, config: deps.config, portal, now });
      }
      await v1.register(callRoutes, { calls: deps.calls });
      await v1.register(rateRoutes, { rates: deps.rates, now });
      await v1.register(rateImpactRoutes, { ledger: deps.ledger, config: deps.config, now, ...(deps.history ? { history: deps.history } : {}) });
    },
    { prefix: '/v1' },
  );
  // Beside /v1, not inside it: the platform's token, never the admin token, opens it.
  if (deps.controlApi) await typed.register(deps.controlApi, { prefix: '/v1/control' });
  if (portalOn) {
    await typed.register(portalPlugin, {
      portal: portal!,
      config: deps.config,
      metrics: deps.metrics,
      now,
      ...(deps.portalAssetsDir ? { assetsDir: deps.portalAssetsDir } : {}),
    });
  }
  await app.ready();
  return app;
}

/** Builds the app and listens on config.http.host:port; resolves to the app and its address. */
export async function startHttp(deps: AppDeps): Promise<{ app: App; address: string }> {
  const app = await buildApp(deps);
  try {
    const address = await app.listen({ host: deps.config.http.host, port: deps.config.http.port });
    deps.logger.info({ address }, 'admin API, health and metrics listening');
    return { app, address };
  } catch (err) {
    await app.close();
    throw err;
  }
}
