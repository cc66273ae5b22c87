/**
 * `tollgate demo [--config FILE]`: the gateway on the demo configuration with
 * a Redis of its own (AOF on, data under .demo/), the demo tenants imported.
 * With REDIS_URL set, that Redis is used instead and none is started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCliConfig } from './load-config.js';
import { run as provision } from './provision.js';
import { runGateway } from './run.js';

const DEMO_PROVISIONING = 'config/demo-provisioning.yaml';
const DEMO_DATA_DIR = '.demo/redis';

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Starts redis-server on a free loopback port with AOF, as production should run it. */
async function startDemoRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const dir = resolve(DEMO_DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${out.slice(-500)}`)), 15_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.removeAllListeners('data');
        proc.stdout?.resume();
        ready();
      }
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`cannot start redis-server (${err.message}); install it (Debian: apt-get install redis-server) or set REDIS_URL`));
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with code ${code}: ${out.slice(-500)}`));
    });
  });
  return { url: `redis://127.0.0.1:${port}`, proc };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  let redis: { url: string; proc: ChildProcess } | undefined;
  if (!process.env.REDIS_URL) {
    redis = await startDemoRedis();
    process.env.REDIS_URL = redis.url;
    process.stderr.write(`tollgate demo: started redis-server at ${redis.url} (AOF in ${DEMO_DATA_DIR})\n`);
  }
  try {
    const imported = await provision(['import', DEMO_PROVISIONING, ...(values.config ? ['--config', values.config] : [])]);
    if (imported !== 0) return imported;
    const config = loadCliConfig(values.config);
    if (!config) return 1;
    process.stderr.write(
      `tollgate demo: admin API on http://${config.http.host}:${config.http.port} (Authorization: Bearer ${config.http.adminToken}); ` +
        `try: curl -H 'Authorization: Bearer ${config.http.adminToken}' http://${config.http.host}:${config.http.port}/v1/tenants\n` +
        `tollgate demo: SIP needs drachtio-server at ${config.drachtio.host}:${config.drachtio.port} (secret from drachtio.secret); ` +
        `until it is reachable Tollgate keeps retrying and /readyz reports "drachtio" not ready. See README "SIP".\n`,
    );
    return await runGateway(config);
  } finally {
    redis?.proc.kill('SIGTERM');
  }
}
