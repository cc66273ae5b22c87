/**
 * One quote shape (issue 11, items 15, 16): the admin API's quote and
 * `tollgate rates quote --json` give the same fields and formats for the
 * same call, and a blocked premium number is refused PREMIUM_BLOCKED by both.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'rates', 'quote', '--dir', 'rates', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function api(query: string) {
  const r = await h!.app.inject({ url: `/v1/rates/quote?${query}`, headers: auth });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

describe('quote shape', () => {
  it.each([
    ['outbound', 'to=%2B447700900123&seconds=65&at=2025-03-10T12:00:00Z', ['--to', '+447700900123', '--seconds', '65', '--at', '2025-03-10T12:00:00Z']],
    ['toll-free', 'to=%2B18005550100&from=%2B442079460000&tollFree=true&seconds=61&at=2025-03-10T12:00:00Z', ['--toll-free', '--to', '+18005550100', '--from', '+442079460000', '--seconds', '61', '--at', '2025-03-10T12:00:00Z']],
    ['emergency', 'to=999&country=GB&at=2025-03-10T12:00:00Z', ['--to', '999', '--country', 'GB', '--at', '2025-03-10T12:00:00Z']],
  ])('%s: the API and the CLI --json agree field for field', async (_kind, query, args) => {
    h = await startHarness();
    const viaApi = await api(query);
    const viaCli = cli(...args, '--json');
    expect(viaApi.status).toBe(200);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    expect(JSON.parse(viaCli.stdout)).toEqual(viaApi.body);
  });

  it('formats money in the currency minor unit in both', async () => {
    h = await startHarness();
    const { body } = await api('to=%2B447700900123&seconds=0&at=2025-03-10T12:00:00Z');
    expect(body).toMatchObject({ kind: 'outbound', pricePerMinute: '0.03', connectFee: '0.00', charge: '0.00', prefix: '447', effectiveFrom: '2025-01-01T00:00:00.000Z' });
  });

  it('a blocked premium number is refused PREMIUM_BLOCKED, with no price', async () => {
    h = await startHarness();
    const viaApi = await api('to=%2B449012345678');
    expect(viaApi.status).toBe(403);
    expect(viaApi.body).toMatchObject({ error: 'PREMIUM_BLOCKED', message: expect.stringContaining('the call would be refused') });
    const viaCli = cli('--to', '+449012345678');
    expect(viaCli.code).toBe(1);
    expect(viaCli.stderr).toContain('premium calls are blocked: the call would be refused (PREMIUM_BLOCKED)');
  });
});
