/**
 * `tollgate config check` and config loading at the edges an operator meets:
 * relative paths resolve from the config file, the rate files are loaded and
 * their problems named, URLs must be http(s), one message per bad value, and
 * bad rate files at start-up print one line per problem.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { REPO, tollgateSync } from '../support/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A config file in <tmp>/etc/tollgate.yaml, with a copy of the shipped rates in <tmp>/etc/rates. */
function setup(yaml: string, withRates = true): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-check-'));
  made.push(dir);
  mkdirSync(join(dir, 'etc'));
  if (withRates) cpSync(join(REPO, 'rates'), join(dir, 'etc', 'rates'), { recursive: true });
  const file = join(dir, 'etc', 'tollgate.yaml');
  writeFileSync(file, yaml);
  return { dir, file };
}

const TOKEN = 'http:\n  adminToken: config-check-test-token\n';

function problemsOf(file: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('relative paths', () => {
  it('rates.dir resolves from the config file\'s directory, not the working directory', () => {
    const { dir, file } = setup(`${TOKEN}rates:\n  dir: rates\n`);
    expect(loadConfig(file, {}).rates.dir).toBe(join(dir, 'etc', 'rates'));
    const r = tollgateSync(['config', 'check', '--config', file], { cwd: tmpdir() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`rates ${join(dir, 'etc', 'rates')} \\(version [0-9a-f]{12}\\)`));
  });

  it('TOLLGATE_RATES_DIR, a value from the environment, resolves from the working directory', () => {
    const { file } = setup(TOKEN);
    expect(loadConfig(file, { TOLLGATE_RATES_DIR: 'elsewhere' }).rates.dir).toBe(join(process.cwd(), 'elsewhere'));
  });
});

describe('config check loads the rates', () => {
  it('a rates.dir that does not exist is a problem', () => {
    const { dir, file } = setup(`${TOKEN}rates:\n  dir: missing-rates\n`, false);
    const r = tollgateSync(['config', 'check', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${join(dir, 'etc', 'missing-rates')}`);
    expect(r.stderr).toMatch(/rejected, \d+ problem\(s\); the gateway would not start:/);
  });

  it('a broken rate file is named by line', () => {
    const { dir, file } = setup(TOKEN);
    writeFileSync(join(dir, 'etc', 'rates', 'zone-a.csv'), 'nonsense\n');
    const r = tollgateSync(['config', 'check', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'etc', 'rates', 'zone-a.csv')}`);
  });
});

describe('config values', () => {
  it('webhook and payments URLs must be http(s)', () => {
    const { file } = setup(
      `${TOKEN}notify:\n  webhooks:\n    - url: ftp://example.com/hook\n      secret: webhook-secret\npayments:\n  provider: http\n  url: file:///etc/passwd\n`,
    );
    const problems = problemsOf(file);
    expect(problems).toContain('notify.webhooks[0].url: an http:// or https:// URL, e.g. "https://billing.example.com/hook"');
    expect(problems).toContain('payments.url: an http:// or https:// URL, e.g. "https://billing.example.com/hook"');
  });

  it('an empty file names http.adminToken', () => {
    const { file } = setup('');
    expect(problemsOf(file)).toEqual(['http.adminToken: required: a token of at least 16 characters (or set TOLLGATE_ADMIN_TOKEN)']);
  });

  it('one message per bad address, paths written like provisioning errors (peers[0].addresses[1])', () => {
    const { file } = setup(`${TOKEN}sip:\n  peers:\n    - name: p\n      role: bridge\n      addresses: ["10.0.0.1", "bad!"]\n`);
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sip\.peers\[0\]\.addresses\[1\]: an IP/);
  });
});

describe('start-up with bad rate files', () => {
  it('prints one line per problem, as config errors are printed, not one JSON line', () => {
    const { dir, file } = setup(TOKEN);
    writeFileSync(join(dir, 'etc', 'rates', 'zone-a.csv'), 'nonsense\n');
    writeFileSync(join(dir, 'etc', 'rates', 'emergency.csv'), 'nonsense\n');
    const r = tollgateSync(['run', '--config', file], { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`rate files in ${join(dir, 'etc', 'rates')} rejected, ${lines.length - 2} problem(s); tollgate did not start:`);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^ {2}- .*(zone-a|emergency)\.csv/);
    expect(lines.at(-1)).toContain('tollgate rates check --dir');
    expect(r.stdout).not.toContain('\\n');
  });
});
