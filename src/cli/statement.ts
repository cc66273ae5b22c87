/**
 * `tollgate statement --tenant T --month M [--format csv|json]`: a tenant's
 * monthly statement from the history store, as the API gives it.
 */
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { MONTH_PATTERN } from '../history/months.js';
import { createPgPool, pgOptionsFromConfig } from '../history/pg.js';
import { statementCsv, statementView } from '../history/statement-format.js';
import { statement } from '../history/store.js';
import { createLedger, ledgerOptionsFromConfig } from '../ledger/index.js';

const USAGE = 'usage: tollgate statement --tenant ID --month YYYY-MM [--format csv|json] [--config FILE]\n';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, {
      tenant: { type: 'string' }, month: { type: 'string' }, format: { type: 'string' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' },
    }, false);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('statement', err, USAGE);
    throw err;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const format = values.format ?? 'csv';
  const problems = [
    ...(!values.tenant ? ['--tenant ID is required'] : []),
    ...(!values.month || !MONTH_PATTERN.test(values.month) ? ['--month YYYY-MM is required'] : []),
    ...(format !== 'csv' && format !== 'json' ? ['--format is csv or json'] : []),
  ];
  if (problems.length > 0 || !values.tenant || !values.month) {
    process.stderr.write(`${problems.map((p) => `tollgate statement: ${p}`).join('\n')}\n${USAGE}`);
    return 2;
  }
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  const pgOpts = pgOptionsFromConfig(config);
  if (!pgOpts) {
    process.stderr.write('tollgate statement: postgres.url is not set: statements come from PostgreSQL\n');
    return 1;
  }
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  const pool = createPgPool(pgOpts);
  try {
    const tenant = await ledger.getTenant(values.tenant);
    if (!tenant) {
      process.stderr.write(`tollgate statement: tenant "${values.tenant}" does not exist\n`);
      return 1;
    }
    const s = await statement(pool, tenant.id, values.month, tenant.currency);
    process.stdout.write(format === 'json' ? `${JSON.stringify(statementView(s), null, 2)}\n` : statementCsv(s));
    return 0;
  } catch (err) {
    process.stderr.write(`tollgate statement: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await pool.end();
    await ledger.close();
  }
}
