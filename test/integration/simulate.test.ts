/**
 * `tollgate simulate` leaves nothing behind: every tgsim key it wrote is gone
 * after a run (settled holds included) and after Ctrl-C, which still prints
 * the summary; long runs show progress; bad --calls and --balance are refused.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { simulate, SIMULATION_CLOCK_SKEW_MS } from '../../src/cli/simulate.js';
import { createLedger } from '../../src/ledger/index.js';
import { tollgateSpawn, tollgateSync } from '../support/cli.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

async function keysOf(tenantId: string): Promise<string[]> {
  return redis.keys(`tgsim:{${tenantId}}:*`);
}

describe('simulate()', () => {
  it('deletes every key of its tenant after the run, settled holds included, and reports progress', async () => {
    const ledger = createLedger({ url: inject('redisUrl'), keyPrefix: 'tgsim', leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans: [], dialOutMinutesPerLicence: 60, maxClockSkewMs: SIMULATION_CLOCK_SKEW_MS });
    const progress: number[] = [];
    try {
      const report = await simulate({ ledger, calls: 40, concurrency: 5, balance: 2_000_000, maxSeconds: 120, progressEveryMs: 0, onProgress: (done) => progress.push(done) });
      expect(report.calls).toBe(40);
      expect(report.overspent).toBe(false);
      expect(await keysOf(report.tenantId)).toEqual([]);
      expect(progress.at(-1)).toBe(40);
      expect(progress.length).toBeGreaterThan(1);
    } finally {
      await ledger.close();
    }
  });
});

describe('tollgate simulate', () => {
  it('Ctrl-C stops taking calls, prints the summary, and deletes its keys', async () => {
    const sim = tollgateSpawn(['simulate', '--calls', '1000000', '--concurrency', '4', '--balance', '1000000.00', '--redis', inject('redisUrl')]);
    await sim.waitFor(/simulating 1000000 calls of tenant (sim-[0-9a-f]+)/, 30_000);
    const tenantId = /simulating 1000000 calls of tenant (sim-[0-9a-f]+)/.exec(sim.stderr())![1]!;
    await expect.poll(async () => (await keysOf(tenantId)).length, { timeout: 20_000 }).toBeGreaterThan(0);
    sim.proc.kill('SIGINT');
    expect(await sim.exited).toBe(130);
    expect(sim.stdout()).toMatch(/^calls +\d+ of 1000000, interrupted/m);
    expect(sim.stdout()).toContain('overspend      none');
    expect(await keysOf(tenantId)).toEqual([]);
  });

  it.each([
    [['--calls', '1e9'], '--calls "1e9" is not a whole number'],
    [['--calls', '2000000'], '--calls 2000000: at most 1000000'],
    [['--calls', '0'], '--calls 0: at least 1'],
    [['--balance', '0.001'], '--balance: 0.001 is not a whole amount of USD, which has at most 2 decimals'],
  ])('refuses %j', (args, message) => {
    const r = tollgateSync(['simulate', ...args, '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`tollgate simulate: ${message}`);
  });
});
