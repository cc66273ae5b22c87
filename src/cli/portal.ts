/**
 * `tollgate portal admin|key ...`: the operator's tenant admin accounts and
 * tenant API keys, straight in Redis (as `provision` is). A password is read
 * from stdin with --password-stdin, else one is generated and printed once; an
 * API key's secret is printed once. Neither is ever stored in clear.
 */
import { randomBytes } from 'node:crypto';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { namingRedis } from './redis-target.js';
import { createLedger, ledgerOptionsFromConfig, LedgerError, LedgerUnavailableError } from '../ledger/index.js';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from '../portal/passwords.js';

const USAGE =
  'usage: tollgate portal admin add --tenant ID --email ADDRESS --name NAME [--role manage|read] [--password-stdin] [--config FILE]\n' +
  '       tollgate portal admin list --tenant ID [--config FILE]\n' +
  '       tollgate portal admin remove --tenant ID --id ADMIN_ID [--config FILE]\n' +
  '       tollgate portal admin password --tenant ID --id ADMIN_ID [--password-stdin] [--config FILE]\n' +
  '       tollgate portal admin sign-out --tenant ID --id ADMIN_ID [--config FILE]   (every session of the account)\n' +
  '       tollgate portal key add --tenant ID --name NAME --scope read|manage [--config FILE]\n' +
  '       tollgate portal key list --tenant ID [--config FILE]\n' +
  '       tollgate portal key revoke --tenant ID --id KEY_ID [--config FILE]\n';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  tenant: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  scope: { type: 'string' },
  id: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function password(fromStdin: boolean): Promise<{ text: string; generated: boolean } | string> {
  if (!fromStdin) return { text: randomBytes(18).toString('base64url'), generated: true };
  const text = await readStdin();
  if (text.length < PASSWORD_MIN) return `the password must have at least ${PASSWORD_MIN} characters`;
  if (text.length > PASSWORD_MAX) return `the password must have at most ${PASSWORD_MAX} characters`;
  return { text, generated: false };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, OPTIONS, true);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('portal', err, USAGE);
    throw err;
  }
  const { positionals, values: v } = parsed;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [what, action] = positionals;
  const need = (...names: Array<keyof typeof v>) => names.filter((n) => v[n] === undefined || v[n] === '');
  const known = (what === 'admin' && ['add', 'list', 'remove', 'password', 'sign-out'].includes(action ?? '')) || (what === 'key' && ['add', 'list', 'revoke'].includes(action ?? ''));
  if (!known || positionals.length > 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const required: Record<string, Array<keyof typeof v>> = {
    'admin add': ['tenant', 'email', 'name'],
    'admin list': ['tenant'],
    'admin remove': ['tenant', 'id'],
    'admin password': ['tenant', 'id'],
    'admin sign-out': ['tenant', 'id'],
    'key add': ['tenant', 'name', 'scope'],
    'key list': ['tenant'],
    'key revoke': ['tenant', 'id'],
  };
  const missing = need(...required[`${what} ${action}`]!);
  if (missing.length > 0) return usageMistake('portal', new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`), USAGE);
  const role = v.role ?? 'manage';
  if (role !== 'manage' && role !== 'read') return usageMistake('portal', new UsageError('--role is manage or read'), USAGE);
  if (what === 'key' && action === 'add' && v.scope !== 'read' && v.scope !== 'manage') return usageMistake('portal', new UsageError('--scope is read or manage'), USAGE);

  const config = loadCliConfig(v.config);
  if (!config) return 1;
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  const portal = ledger.portal;
  const tenantId = v.tenant!;
  try {
    if (!(await ledger.getTenant(tenantId))) {
      process.stderr.write(`tollgate portal: tenant "${tenantId}" does not exist\n`);
      return 1;
    }
    const out = (line: string) => process.stdout.write(`${line}\n`);
    switch (`${what} ${action}`) {
      case 'admin add': {
        const p = await password(v['password-stdin'] === true);
        if (typeof p === 'string') {
          process.stderr.write(`tollgate portal: ${p}\n`);
          return 1;
        }
        const a = await portal.createAdmin(tenantId, { email: v.email!, displayName: v.name!, role, passwordHash: await hashPassword(p.text) }, Date.now());
        out(`admin ${a.id} (${a.email}, ${a.role}) created for tenant ${tenantId}`);
        if (p.generated) out(`password (shown once): ${p.text}`);
        return 0;
      }
      case 'admin list':
        for (const a of await portal.listAdmins(tenantId)) out(`${a.id}  ${a.email}  ${a.role}  ${a.displayName}  created ${a.createdAt}`);
        return 0;
      case 'admin remove':
        if (!(await portal.deleteAdmin(tenantId, v.id!))) {
          process.stderr.write(`tollgate portal: no admin ${v.id} in tenant ${tenantId}\n`);
          return 1;
        }
        out(`admin ${v.id} removed; its sessions have ended`);
        return 0;
      case 'admin password': {
        const p = await password(v['password-stdin'] === true);
        if (typeof p === 'string') {
          process.stderr.write(`tollgate portal: ${p}\n`);
          return 1;
        }
        if (!(await portal.setPassword(tenantId, v.id!, await hashPassword(p.text)))) {
          process.stderr.write(`tollgate portal: no admin ${v.id} in tenant ${tenantId}\n`);
          return 1;
        }
        out(`password of ${v.id} changed; every session of the account has ended`);
        if (p.generated) out(`password (shown once): ${p.text}`);
        return 0;
      }
      case 'admin sign-out':
        if (!(await portal.signOutEverywhere(tenantId, v.id!))) {
          process.stderr.write(`tollgate portal: no admin ${v.id} in tenant ${tenantId}\n`);
          return 1;
        }
        out(`every session of ${v.id} has ended`);
        return 0;
      case 'key add': {
        const { key, record } = await portal.createApiKey(tenantId, { name: v.name!, scope: v.scope as 'read' | 'manage' }, Date.now());
        out(`API key ${record.id} (${record.scope}) created for tenant ${tenantId}`);
        out(`key (shown once): ${key}`);
        return 0;
      }
      case 'key list':
        for (const k of await portal.listApiKeys(tenantId)) out(`${k.id}  ${k.scope}  ${k.name}  created ${k.createdAt}${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}`);
        return 0;
      default: {
        const r = await portal.revokeApiKey(tenantId, v.id!, Date.now());
        if (!r) {
          process.stderr.write(`tollgate portal: no API key ${v.id} in tenant ${tenantId}\n`);
          return 1;
        }
        out(`API key ${r.id} revoked at ${r.revokedAt}`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof LedgerUnavailableError || err instanceof LedgerError) {
      process.stderr.write(`tollgate portal: ${err instanceof LedgerUnavailableError ? namingRedis(err.message, config.redis) : err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await ledger.close();
  }
}
