/**
 * `tollgate demo` as a user runs it: its redis-server sits in a process group
 * of its own (Ctrl-C reaches the gateway only) and is stopped after the drain;
 * a lock keeps a second demo off the same data directory.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findKamailio } from '../../src/cli/demo-kamailio.js';
import { tollgateSpawn, tollgateSync, type RunningCli } from '../support/cli.js';
import { freePort } from '../support/redis-server.js';

const running: RunningCli[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const demo of running.splice(0)) {
    if (demo.proc.exitCode === null && demo.proc.signalCode === null) {
      demo.proc.kill('SIGTERM');
      await demo.exited;
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-demo-'));
  dirs.push(d);
  return d;
}

async function demoEnv(): Promise<Record<string, string>> {
  // Port 1 has no drachtio-server: the SIP link stays down, which these tests do not need.
  return { TOLLGATE_HTTP_PORT: String(await freePort()), TOLLGATE_DRACHTIO_PORT: '1', TOLLGATE_LOG_LEVEL: 'warn' };
}

/** Process group of a pid, from /proc (field 5 of stat, after the parenthesized name). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('tollgate demo', () => {
  it('starts redis-server in its own process group; Ctrl-C on the demo group stops the gateway first, then that Redis', async () => {
    const dataDir = tempDir();
    // detached: the demo leads a group of its own, as a shell's foreground job does.
    const demo = tollgateSpawn(['demo', '--data-dir', dataDir], { env: { ...(await demoEnv()), TOLLGATE_LOG_LEVEL: 'info' }, spawn: { detached: true } });
    running.push(demo);
    // Logged once the signal handlers are in place.
    await demo.waitFor(/"msg":"tollgate started"/, 45_000);
    const redisPid = Number(/started redis-server \(pid (\d+)\)/.exec(demo.stderr())?.[1]);
    expect(redisPid).toBeGreaterThan(0);
    expect(processGroup(redisPid)).not.toBe(processGroup(demo.proc.pid!));

    process.kill(-demo.proc.pid!, 'SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stderr()).toMatch(/gateway stopped; stopped redis-server \(pid \d+\)/);
    expect(alive(redisPid)).toBe(false);
  });

  it('runs a PostgreSQL of its own, writes the balance journal there, and stops it after the drain (issue: demo history)', async () => {
    const root = tempDir();
    chmodSync(root, 0o755); // the server runs as the postgres user, who must reach its data directory
    const demo = tollgateSpawn(['demo', '--data-dir', join(root, 'redis')], { env: await demoEnv() });
    running.push(demo);
    await demo.waitFor(/admin API on (http:\/\/[^ ]+)/, 60_000);
    const url = /started PostgreSQL \(pid \d+\) at (postgres:\/\/\S+)/.exec(demo.stderr())?.[1];
    expect(url, demo.stderr()).toBeDefined();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // The opening balance of the demo tenant, written by the history writer.
      let rows = 0;
      for (let i = 0; i < 100 && rows === 0; i++) {
        // Until the gateway's migrations have run, the table does not exist yet.
        rows = Number((await db.query("select count(*) from balance_entries where tenant_id = 'demo'").catch(() => ({ rows: [{ count: 0 }] }))).rows[0]!.count);
        if (rows === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(rows).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
    demo.proc.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stderr()).toMatch(/stopped PostgreSQL[\s\S]*stopped redis-server/);
  });

  // The test command installs kamailio and sipp from Debian: in CI this always runs.
  it.runIf(findKamailio())('with no drachtio-server, a call placed with `demo call` goes through its own Kamailio over evapi, charged to the second', async () => {
    const dataDir = tempDir();
    const demo = tollgateSpawn(['demo', '--data-dir', dataDir], { env: { ...(await demoEnv()), TOLLGATE_LOG_LEVEL: 'info' } });
    running.push(demo);
    await demo.waitFor(/"msg":"connected to Kamailio over evapi"/, 60_000);
    expect(demo.stderr()).toMatch(/started Kamailio \(pid \d+\) [^\n]*evapi on 127\.0\.0\.1:\d+/);

    const call = tollgateSpawn(['demo', 'call', '--from', 'alice', '--to', '+442071234567', '--seconds', '2', '--data-dir', dataDir]);
    expect(await call.exited, call.stderr() + call.stdout()).toBe(0);
    const out = call.stdout();
    expect(out).toMatch(/decision: allowed, answered \(funded \d+ s at the answer\)/);
    expect(out).toMatch(/hung up by the caller after 2 s/);
    // An international call beyond alice's domestic plan: paid with credits, to the second.
    const [, seconds, charge] = /answered duration: (\d+) s; charge: (\S+) USD \(end reason caller_hangup, paid by credits\)/.exec(out) ?? [];
    expect(seconds, out).toBeDefined();
    expect(Number(seconds)).toBeGreaterThanOrEqual(2);
    expect(Number(seconds)).toBeLessThanOrEqual(3);
    expect(Number(charge)).toBeGreaterThan(0);
    const [, before, after] = /balance: (\S+) before, (\S+) after/.exec(out)!;
    expect(Math.round((Number(before) - Number(after)) * 100)).toBe(Math.round(Number(charge) * 100));
    // The answer and the end went over evapi, not Kamailio's HTTP fallback.
    const kamailioLog = /log in (\S+kamailio\.log)/.exec(demo.stderr())![1]!;
    expect(readFileSync(kamailioLog, 'utf8')).not.toMatch(/over HTTP/);
    demo.proc.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stderr()).toContain('stopped Kamailio');
  });

  it('a second demo on the same data directory says why and exits 1, leaving the first and its Redis running', async () => {
    const dataDir = tempDir();
    const first = tollgateSpawn(['demo', '--data-dir', dataDir], { env: await demoEnv() });
    running.push(first);
    await first.waitFor(/admin API on (http:\/\/[^ ]+)/, 45_000);
    const base = /admin API on (http:\/\/[^ ]+)/.exec(first.stderr())![1];

    const second = tollgateSync(['demo', '--data-dir', dataDir], { env: await demoEnv(), timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another tollgate demo (pid ${first.proc.pid}) is using ${dataDir}`);
    expect(second.stderr).not.toContain('started redis-server');

    const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
    expect(ready.checks.redis).toEqual({ ok: true });
  });
});
