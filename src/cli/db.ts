/**
 * `tollgate db migrate`: applies the history store's schema migrations
 * (src/history/migrations, forward-only) to postgres.url; the gateway runs
 * them at start-up too.
 */
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { migrate } from '../history/migrate.js';
import { createPgPool, pgOptionsFromConfig, pgTarget } from '../history/pg.js';

const USAGE = 'usage: tollgate db migrate [--config FILE]\n' +
  '  applies the schema migrations of the history store (postgres.url) not yet applied, in order\n';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, true);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('db', err, USAGE);
    throw err;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.positionals[0] !== 'migrate' || parsed.positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadCliConfig(parsed.values.config);
  if (!config) return 1;
  const opts = pgOptionsFromConfig(config);
  if (!opts) {
    process.stderr.write('tollgate db migrate: postgres.url is not set (config or TOLLGATE_POSTGRES_URL)\n');
    return 1;
  }
  const pool = createPgPool(opts);
  try {
    const r = await migrate(pool);
    const what = r.applied.length ? `applied ${r.applied.map((a) => `${String(a.version).padStart(3, '0')}-${a.name}`).join(', ')}` : 'nothing to apply';
    process.stdout.write(`${pgTarget(opts.url)}: ${what}; schema version ${r.current}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`tollgate db migrate: ${pgTarget(opts.url)}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await pool.end();
  }
}
