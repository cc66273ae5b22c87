/**
 * The `tollgate` command's help and its mistakes: every command answers
 * --help, --version tells the version, and a bad option or value gets a
 * message a user can act on instead of node's parser text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tollgateSync } from '../support/cli.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('help and version', () => {
  it('--version and -V print the version', () => {
    for (const flag of ['--version', '-V']) {
      const r = tollgateSync([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`tollgate ${version}\n`);
    }
  });

  it('the main help lists the commands, the common options and the environment variables', () => {
    const r = tollgateSync(['--help']);
    expect(r.code).toBe(0);
    for (const text of ['tollgate run', 'tollgate demo', '--config FILE', '--help', '--version', 'REDIS_URL', 'TOLLGATE_CONFIG', 'TOLLGATE_ADMIN_TOKEN', 'TOLLGATE_LOG_PRETTY']) {
      expect(r.stdout).toContain(text);
    }
  });

  it.each([
    [['run', '--help'], 'usage: tollgate run'],
    [['demo', '--help'], 'usage: tollgate demo'],
    [['config', 'check', '--help'], 'usage: tollgate config check'],
    [['config', '--help'], 'usage: tollgate config check'],
    [['help', 'run'], 'usage: tollgate run'],
  ])('tollgate %j prints its usage and exits 0', (args, usage) => {
    const r = tollgateSync(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(usage);
  });
});

describe('mistakes on the command line', () => {
  it('an unknown option names the closest known one', () => {
    const r = tollgateSync(['config', 'check', '--confg', 'x.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tollgate config: unknown option --confg; did you mean --config\?\n/);
    expect(r.stderr).not.toContain('positional argument');
  });

  it('a value that starts with "-" says how to pass it, then the value is checked', () => {
    const r = tollgateSync(['rates', 'quote', '--to', '+447911123456', '--seconds', '-5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tollgate rates: --seconds needs a value; to give one that starts with "-", write --seconds=VALUE/);
    expect(r.stderr).not.toContain('ambiguous');
    const eq = tollgateSync(['rates', 'quote', '--to', '+447911123456', '--seconds=-5']);
    expect(eq.code).toBe(2);
    expect(eq.stderr).toContain('--seconds "-5" is not a whole number of seconds');
  });

  it('usage export --out into a missing directory says so before touching Redis, with no raw ENOENT', () => {
    const r = tollgateSync(['usage', 'export', '--tenant', 'demo', '--from', '2025-01-01', '--to', '2025-02-01', '--out', '/nonexistent/dir/x.csv'], {
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tollgate usage export: --out /nonexistent/dir/x.csv: the directory /nonexistent/dir does not exist');
    expect(r.stderr).not.toContain('ENOENT');
  });
});
