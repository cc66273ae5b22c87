/**
 * `tollgate portal admin|key` against a real Redis: the operator's command
 * line for tenant admins and API keys (DOMAIN.md rule 30). A generated
 * password and a key's secret are printed once and never stored in clear.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RedisLedger } from '../../src/ledger/index.js';
import { verifyPassword } from '../../src/portal/passwords.js';
import { tollgateSync } from '../support/cli.js';
import { newLedger } from '../support/ledger-fixtures.js';

let dir: string;
let config: string;
let ledger: RedisLedger;
const cli = (...args: string[]) => tollgateSync(['portal', ...args, '--config', config], { input: '' });

beforeAll(async () => {
  ledger = newLedger('redis');
  await ledger.putTenant({ id: 'acme', name: 'Acme', currency: 'EUR', country: 'DE', creditLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-portal-cli-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(config, ['redis:', `  url: "${inject('redisUrl')}"`, `  keyPrefix: "${ledger.keyPrefix}"`, 'http:', '  adminToken: portal-cli-admin-token-0123', ''].join('\n'));
});

afterAll(async () => {
  await ledger?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tollgate portal (DOMAIN.md rule 30)', () => {
  it('adds an admin with a generated password shown once, stored only as an argon2id hash', async () => {
    const r = cli('admin', 'add', '--tenant', 'acme', '--email', 'Ops@Acme.example', '--name', 'Ops');
    expect(r.code, r.stderr).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(r.stdout)![1]!;
    const found = await ledger.portal.findAdminForLogin('ops@acme.example');
    expect(found!.account).toMatchObject({ tenantId: 'acme', email: 'ops@acme.example', role: 'manage' });
    expect(found!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(found!.passwordHash).not.toContain(password);
    expect(await verifyPassword(found!.passwordHash, password)).toBe(true);
    const list = cli('admin', 'list', '--tenant', 'acme');
    expect(list.stdout).toContain('ops@acme.example');
    expect(list.stdout).not.toContain(password);
    const again = cli('admin', 'add', '--tenant', 'acme', '--email', 'ops@acme.example', '--name', 'Ops');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('takes a password on stdin and refuses a short one', () => {
    const short = tollgateSync(['portal', 'admin', 'add', '--tenant', 'acme', '--email', 'a@acme.example', '--name', 'A', '--password-stdin', '--config', config], { input: 'short\n' });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 12 characters');
    const ok = tollgateSync(['portal', 'admin', 'add', '--tenant', 'acme', '--email', 'a@acme.example', '--name', 'A', '--role', 'read', '--password-stdin', '--config', config], { input: 'a long enough password\n' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain('a long enough password');
  });

  it('adds a key shown once, lists it without its secret, revokes it', async () => {
    const added = cli('key', 'add', '--tenant', 'acme', '--name', 'export', '--scope', 'read');
    expect(added.code, added.stderr).toBe(0);
    const key = /key \(shown once\): (tgk_\S+)/.exec(added.stdout)![1]!;
    expect(await ledger.portal.verifyApiKey(key)).toMatchObject({ tenantId: 'acme', name: 'export', scope: 'read' });
    const id = /API key (key_[0-9a-f]+)/.exec(added.stdout)![1]!;
    const list = cli('key', 'list', '--tenant', 'acme');
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(key.split('.').pop()!);
    expect(cli('key', 'revoke', '--tenant', 'acme', '--id', id).code).toBe(0);
    expect(await ledger.portal.verifyApiKey(key)).toBeNull();
  });

  it('says what is wrong: an unknown tenant (1), a missing option or scope (2)', () => {
    const unknown = cli('key', 'list', '--tenant', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('tenant "nobody" does not exist');
    expect(cli('key', 'add', '--tenant', 'acme', '--name', 'x').code).toBe(2);
    expect(cli('key', 'add', '--tenant', 'acme', '--name', 'x', '--scope', 'admin').code).toBe(2);
  });
});
