import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { outbound, tollFree, writeRates } from './rating-fixtures.js';

function tollgate(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = writeRates({
  'outbound.csv': outbound(
    '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false',
    '447,GB,United Kingdom Mobile,mobile,EUR,0.0300,0.0100,30,6,2025-01-01,false',
    '449,GB,United Kingdom Premium,premium,EUR,1.5,0,60,60,2025-01-01,false',
    '1800,US,US Toll-Free,toll-free,USD,0,0,60,60,2025-01-01,false',
  ),
  'toll-free.csv': tollFree('44,GB,US,USD,0.0450,0,60,6,2025-01-01'),
});

describe('tollgate rates check', () => {
  it('summarizes valid files and exits 0', () => {
    const r = tollgate('rates', 'check', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rates ok: .*, version [0-9a-f]{12}\n/);
    expect(r.stdout).toContain('outbound.csv   4 rates, 2 countries');
    expect(r.stdout).toContain('toll-free.csv  1 rates');
    expect(r.stdout).toContain('emergency.csv  2 numbers');
  });

  it('checks the shipped rates by default', () => {
    const r = tollgate('rates', 'check');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rates ok: rates, version');
  });

  it('prints every problem, one per line, and exits 1', () => {
    const bad = writeRates({
      'outbound.csv': outbound('44,GB,United Kingdom,landline,EUR,"0,12",0,60,60,2025-01-01,false', '44,GB,UK,landline,EUR,0.01,0,60,60,2025-01-01,false'),
      'zone-a.csv': null,
    });
    const r = tollgate('rates', 'check', '--dir', bad);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}/outbound.csv:2: column "price_per_minute": "0,12" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)`,
      `${bad}/zone-a.csv: file is missing; every rates directory needs it (see rates/README.md)`,
      `rates rejected: 2 problem(s) in ${bad}`,
    ]);
  });
});

describe('tollgate rates quote', () => {
  it('prices a call as JSON', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', 'sip:+44 7911 123456@gw;user=phone', '--seconds', '31', '--at', '2026-01-01', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'outbound', to: '+447911123456', prefix: '447', destination: 'United Kingdom Mobile', numberType: 'mobile',
      pricePerMinute: '0.03', connectFee: '0.01', initialIncrement: 30, subsequentIncrement: 6,
      seconds: 31, billedSeconds: 36, charge: '0.03', currency: 'EUR', // 0.01 + 0.018 -> 0.03
      at: '2026-01-01T00:00:00.000Z', rateVersion: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
  });

  it('prices a national number for --country, 60 s by default, as text', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', '020 7946 0000', '--country', 'GB');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rate          prefix 44, United Kingdom, landline');
    expect(r.stdout).toContain('price         0.015 EUR/min, connection fee 0.00 EUR, increments 60/60 s');
    expect(r.stdout).toContain('call          60 s answered, 60 s billed');
    expect(r.stdout).toContain('charge        0.02 EUR');
  });

  it('refuses a blocked premium destination as the call would be, exit 1', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', '+449012345678');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('premium calls are blocked: the call would be refused (PREMIUM_BLOCKED)');
  });

  it('prices toll-free by the caller origin', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--toll-free', '--to', '+18005550100', '--from', '+442079460000', '--seconds', '61', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      prefix: '44', numberType: 'toll-free', country: 'GB', pricePerMinute: '0.045', billedSeconds: 66, charge: '0.05', currency: 'USD',
    });
  });

  it('exits 1 when no rate matches', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', '+33123456789');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^no rate for \+33123456789 at .* the call would be rejected\n$/);
    const tf = tollgate('rates', 'quote', '--dir', dir, '--toll-free', '--to', '+18005550100', '--from', '+33123456789');
    expect(tf.code).toBe(1);
    expect(tf.stderr).toContain('no toll-free rate for a caller +33123456789 reaching a US number');
  });

  it('exits 1 with the reason for a number it cannot read', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', '020 7946 0000');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--to: "020 7946 0000" is in national format and no country is known');
  });

  it('knows emergency numbers', () => {
    const r = tollgate('rates', 'quote', '--dir', dir, '--to', '999', '--country', 'GB', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'emergency', to: '999', country: 'GB', charge: '0' });
  });

  it('refuses bad arguments with usage and exit 2', () => {
    expect(tollgate('rates', 'quote', '--dir', dir).code).toBe(2);
    expect(tollgate('rates', 'quote', '--dir', dir, '--to', '+442079460000', '--seconds', '1.5').stderr).toContain('is not a whole number');
    expect(tollgate('rates', 'quote', '--dir', dir, '--to', '+442079460000', '--at', 'yesterday').stderr).toContain('--at: "yesterday" is not an ISO date');
    expect(tollgate('rates', 'frobnicate').code).toBe(2);
    expect(tollgate('rates', '--help').code).toBe(0);
  });
});
