/**
 * `tollgate reconcile --tenant T [--month M]`: proves DOMAIN rule 33 for a
 * tenant from Redis and PostgreSQL (src/history/reconcile.ts); prints each
 * check and exits 1 on any difference.
 */
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { reconcile } from '../history/reconcile.js';
import { MONTH_PATTERN } from '../history/months.js';
import { createPgPool, pgOptionsFromConfig } from '../history/pg.js';
import { createLedger, ledgerOptionsFromConfig } from '../ledger/index.js';

const USAGE = 'usage: tollgate reconcile --tenant ID [--month YYYY-MM] [--config FILE]\n' +
  '  checks that the Redis balance equals the journal\'s opening plus its movements, that the journal\n' +
  '  is complete, and that its charges equal the usage records\' charges; exit 1 on any difference\n';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, {
      tenant: { type: 'string' }, month: { type: 'string' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' },
    }, false);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('reconcile', err, USAGE);
    throw err;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.tenant || (values.month !== undefined && !MONTH_PATTERN.test(values.month))) {
    process.stderr.write(`${!values.tenant ? 'tollgate reconcile: --tenant ID is required' : `tollgate reconcile: --month "${values.month}" is not YYYY-MM`}\n${USAGE}`);
    return 2;
  }
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  const pgOpts = pgOptionsFromConfig(config);
  if (!pgOpts) {
    process.stderr.write('tollgate reconcile: postgres.url is not set: the journal lives in PostgreSQL\n');
    return 1;
  }
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  const pool = createPgPool(pgOpts);
  try {
    const report = await reconcile(pool, ledger, values.tenant, values.month);
    process.stdout.write(`reconcile ${report.tenantId}${report.month ? ` ${report.month}` : ''}` +
      (report.pendingInRedis ? ` (${report.pendingInRedis} entries still in Redis, counted)` : '') + '\n');
    for (const c of report.checks) process.stdout.write(`  ${c.ok ? 'ok  ' : 'DIFF'} ${c.name}: ${c.detail}\n`);
    process.stdout.write(report.ok ? 'no differences\n' : 'differences found\n');
    return report.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`tollgate reconcile: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await pool.end();
    await ledger.close();
  }
}
