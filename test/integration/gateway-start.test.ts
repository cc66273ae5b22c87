/**
 * The gateway process at its edges: readiness follows a real, timed Redis
 * round trip (a hung Redis is not ready), and a start-up failure such as a
 * taken HTTP port ends the process with a non-zero code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startGateway, type Gateway } from '../../src/main.js';
import { REPO, tollgateSync } from '../support/cli.js';
import { freePort, stopProcess, waitForRedisReady } from '../support/redis-server.js';
import { stopWithOwner } from '../support/watchdog.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A redis-server of this test alone: it is frozen with SIGSTOP, which the shared one must never be. */
async function privateRedis(): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-hung-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = stopWithOwner([proc.pid], [dir]);
  cleanups.push(async () => {
    proc.kill('SIGCONT');
    await stopProcess(proc);
    guard.cancel();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForRedisReady(proc, 'private redis-server');
  return { url: `redis://127.0.0.1:${port}`, pid: proc.pid! };
}

async function gatewayOn(redisUrl: string): Promise<{ gateway: Gateway; base: string }> {
  const config = validateConfig(
    {
      redis: { url: redisUrl, keyPrefix: `gwstart${process.pid}` },
      http: { host: '127.0.0.1', port: await freePort(), adminToken: 'gateway-start-test-token' },
      rates: { dir: join(REPO, 'rates'), watch: false },
      // Nothing listens on port 1: the SIP link stays down, which this test does not look at.
      drachtio: { host: '127.0.0.1', port: 1 },
      sip: { drainSeconds: 0 },
    },
    'test',
  );
  const gateway = await startGateway(config, silentLogger);
  cleanups.push(() => gateway.stop());
  return { gateway, base: gateway.httpAddress };
}

type Readiness = { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> };
const readyz = async (base: string) => (await (await fetch(`${base}/readyz`)).json()) as Readiness;

describe('readiness', () => {
  it('reports Redis not ready within about 2 s once Redis hangs (SIGSTOP), and ready again after SIGCONT', async () => {
    const redis = await privateRedis();
    const { base } = await gatewayOn(redis.url);
    const before = await readyz(base);
    expect(before.checks.redis).toEqual({ ok: true });

    process.kill(redis.pid, 'SIGSTOP');
    const asked = performance.now();
    const hung = await fetch(`${base}/readyz`);
    const took = performance.now() - asked;
    expect(hung.status).toBe(503);
    const body = (await hung.json()) as Readiness;
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.redis?.error).toMatch(/^Redis did not answer PING/);
    // The probe is bounded at 1.5 s; the generous margin is for a loaded machine.
    expect(took).toBeLessThan(5000);

    process.kill(redis.pid, 'SIGCONT');
    await expect.poll(async () => (await readyz(base)).checks.redis, { timeout: 10_000 }).toEqual({ ok: true });
  });
});

describe('start-up failure', () => {
  let holder: Server | undefined;
  afterEach(() => {
    holder?.close();
    holder = undefined;
  });

  it('`tollgate run` whose HTTP port is taken exits non-zero instead of running on without its API', async () => {
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((ready) => holder!.listen(port, '127.0.0.1', ready));
    const r = tollgateSync(['run', '--config', join(REPO, 'config/tollgate.yaml')], {
      env: { REDIS_URL: inject('redisUrl'), TOLLGATE_HTTP_PORT: String(port), TOLLGATE_DRACHTIO_PORT: '1', TOLLGATE_LOG_LEVEL: 'error' },
      timeoutMs: 45_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain('EADDRINUSE');
  });
});
