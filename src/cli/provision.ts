/**
 * `tollgate provision import|check FILE [--config FILE]`: load tenants, users
 * and service numbers from a YAML/JSON file into Redis; nothing is written
 * when any entry is invalid.
 */
import { readFileSync } from 'node:fs';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { namingRedis } from './redis-target.js';
import { createLedger, ledgerOptionsFromConfig, LedgerError, LedgerUnavailableError } from '../ledger/index.js';
import { applyProvisioning, checkAgainstLedger, parseProvisioningFile } from '../ledger/provisioning-file.js';
import { formatMoney } from '../money.js';

const USAGE =
  'usage: tollgate provision import FILE [--config FILE]   load the file into Redis (all or nothing)\n' +
  '       tollgate provision check FILE [--config FILE]    validate the file only\n';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, true);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('provision', err, USAGE);
    throw err;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [action, file] = positionals;
  if ((action !== 'import' && action !== 'check') || !file || positionals.length > 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`tollgate provision: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const outcome = parseProvisioningFile(text, config.plans);
  if (!outcome.ok) {
    process.stderr.write(`${file}: ${outcome.problems.length} problem(s), nothing was written:\n${outcome.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  const { plan } = outcome;
  if (action === 'check') {
    process.stdout.write(`${file}: ok: ${plan.tenants.length} tenant(s), ${plan.users.length} user(s), ${plan.serviceNumbers.length} service number(s)\n`);
    return 0;
  }
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  try {
    const problems = await checkAgainstLedger(ledger, plan);
    if (problems.length > 0) {
      process.stderr.write(`${file}: ${problems.length} problem(s), nothing was written:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 1;
    }
    const summary = await applyProvisioning(ledger, plan, Date.now());
    const currency = new Map(plan.tenants.map((t) => [t.id, t.currency]));
    process.stdout.write(`${file}: imported ${summary.tenants} tenant(s), ${summary.users} user(s), ${summary.serviceNumbers} service number(s)\n`);
    for (const t of summary.topUps) {
      process.stdout.write(
        t.applied
          ? `  top-up ${t.reference} for ${t.tenantId}: applied, balance ${formatMoney(t.balanceAfter, currency.get(t.tenantId))} ${currency.get(t.tenantId) ?? ''}\n`
          : `  top-up ${t.reference} for ${t.tenantId}: already applied by an earlier import; nothing added\n`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof LedgerUnavailableError || err instanceof LedgerError) {
      process.stderr.write(`tollgate provision: ${err instanceof LedgerUnavailableError ? namingRedis(err.message, config.redis) : err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await ledger.close();
  }
}
