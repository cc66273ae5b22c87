/**
 * `tollgate demo [--config FILE]`: the gateway on the demo configuration with
 * a Redis of its own (AOF on, data under .demo/), the demo tenants imported.
 * With REDIS_URL set, that Redis is used instead and none is started.
 */
import { parseOptions, UsageError, usageMistake } from './args.js';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { findPostgresBin, LocalPostgres } from '../history/local-postgres.js';
import { DemoLockError, lockDemoData, startDemoRedis, type DemoLock, type DemoRedis } from './demo-redis.js';
import { loadCliConfig } from './load-config.js';
import { run as provision } from './provision.js';
import { startDemoSipFront, type DemoSipFront } from './demo-sip.js';
import { runGateway } from './run.js';

const DEMO_PROVISIONING = 'config/demo-provisioning.yaml';
const DEMO_DATA_DIR = '.demo/redis';

export const USAGE =
  'usage: tollgate demo [--config FILE] [--data-dir DIR]\n' +
  '       tollgate demo call --from USER --to NUMBER [--seconds N]   (a real call through the demo)\n' +
  '  the gateway on the demo configuration (default config/tollgate.yaml) with a\n' +
  '  redis-server of its own (AOF in DIR, default .demo/redis; one demo per DIR),\n' +
  '  the demo tenants imported. With REDIS_URL set, that Redis is used instead.\n';

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'call') return (await import('./demo-call.js')).run(argv.slice(1));
  let values;
  try {
    ({ values } = parseOptions(argv, { config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }));
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('demo', err, USAGE);
    throw err;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dataDir = resolve(values['data-dir'] ?? DEMO_DATA_DIR);
  let lock: DemoLock | undefined;
  let redis: DemoRedis | undefined;
  let sipFront: DemoSipFront | undefined;
  if (!process.env.REDIS_URL) {
    try {
      lock = await lockDemoData(dataDir);
    } catch (err) {
      if (!(err instanceof DemoLockError)) throw err;
      process.stderr.write(`tollgate demo: ${err.message}\n`);
      return 1;
    }
    try {
      redis = await startDemoRedis(dataDir);
    } catch (err) {
      lock.release();
      throw err;
    }
    lock.recordRedis(redis.pid);
    process.env.REDIS_URL = redis.url;
    process.stderr.write(`tollgate demo: started redis-server (pid ${redis.pid}) at ${redis.url} (AOF in ${dataDir})\n`);
  }
  // History in a PostgreSQL of the demo's own, when this machine has one (npm start installs Debian's).
  let postgres: LocalPostgres | undefined;
  if (lock && !process.env.TOLLGATE_POSTGRES_URL) {
    postgres = await startDemoPostgres(join(dirname(dataDir), 'postgres'));
    if (postgres) process.env.TOLLGATE_POSTGRES_URL = postgres.url;
  }
  try {
    const imported = await provision(['import', DEMO_PROVISIONING, ...(values.config ? ['--config', values.config] : [])]);
    if (imported !== 0) return imported;
    const config = loadCliConfig(values.config);
    if (!config) return 1;
    // No drachtio-server answering: the demo's SIP goes through a Kamailio of its own.
    sipFront = await startDemoSipFront(config, dataDir);
    if (sipFront) {
      process.stderr.write(
        `tollgate demo: admin API on http://${config.http.host}:${config.http.port} (Authorization: Bearer ${config.http.adminToken})\n` +
          `tollgate demo: ${portalNote(config)}\n` +
          `tollgate demo: ${sipFront.note}\n`,
      );
      return await runGateway(config);
    }
    process.stderr.write(
      `tollgate demo: admin API on http://${config.http.host}:${config.http.port} (Authorization: Bearer ${config.http.adminToken}); ` +
        `try: curl -H 'Authorization: Bearer ${config.http.adminToken}' http://${config.http.host}:${config.http.port}/v1/tenants\n` +
        `tollgate demo: ${portalNote(config)}\n` +
        `tollgate demo: SIP needs drachtio-server at ${config.drachtio.host}:${config.drachtio.port} (secret from drachtio.secret); ` +
        `until it is reachable Tollgate keeps retrying and /readyz reports "drachtio" not ready. See README "SIP".\n`,
    );
    return await runGateway(config);
  } finally {
    // After the gateway's drain: its calls end through Kamailio, then settle in Redis.
    if (sipFront) {
      await sipFront.stop();
      process.stderr.write('tollgate demo: stopped Kamailio\n');
    }
    if (postgres) {
      await postgres.stop();
      process.stderr.write('tollgate demo: stopped PostgreSQL\n');
    }
    if (redis) {
      await redis.stop();
      process.stderr.write(`tollgate demo: gateway stopped; stopped redis-server (pid ${redis.pid})\n`);
    }
    lock?.release();
  }
}

/** Starts the demo's PostgreSQL (durable, data in dir); undefined, said plainly, when it cannot. */
async function startDemoPostgres(dir: string): Promise<LocalPostgres | undefined> {
  if (!findPostgresBin()) {
    process.stderr.write('tollgate demo: no PostgreSQL server on this machine; history stays in Redis (see README "History")\n');
    return undefined;
  }
  try {
    const port = await freeLoopbackPort();
    const postgres = new LocalPostgres({ dataDir: dir, port, durable: true });
    postgres.init();
    await postgres.start();
    process.stderr.write(`tollgate demo: started PostgreSQL (pid ${postgres.pid}) at ${postgres.url} (data in ${dir}); usage and balance history go there\n`);
    return postgres;
  } catch (err) {
    process.stderr.write(`tollgate demo: could not start PostgreSQL (${(err as Error).message}); history stays in Redis\n`);
    return undefined;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Where the credits portal is on the demo, and how to sign in. */
function portalNote(config: { http: { host: string; port: number }; portal: { enabled: boolean } }): string {
  return config.portal.enabled
    ? `credits portal on http://${config.http.host}:${config.http.port}/portal (the operator signs in with the admin token)`
    : 'credits portal off (portal.enabled: false)';
}
