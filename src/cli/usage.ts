/**
 * `tollgate usage export`: a tenant's usage report for [from, to) as CSV,
 * from PostgreSQL when postgres.url is set, else straight from the ledger
 * (the same bytes as GET /v1/tenants/:id/usage.csv).
 */
import { createWriteStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname } from 'node:path';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import { namingRedis } from './redis-target.js';
import { createLedger, ledgerOptionsFromConfig, LedgerUnavailableError } from '../ledger/index.js';
import { usageCsv } from '../usage/csv.js';
import { createPgPool, pgOptionsFromConfig, type PgPool } from '../history/pg.js';
import { usageFromPostgres } from '../history/store.js';
import { INSTANT_HINT, parseInstant } from '../usage/range.js';

const USAGE = 'usage: tollgate usage export --tenant ID --from ISO --to ISO [--config FILE] [--out FILE]\n' +
  '  exports calls whose start time is in [from, to): from included, to excluded;\n' +
  '  a date alone (2025-03-01) means 00:00 UTC; a date-time needs Z or an offset\n';

/** Why FILE cannot be written, checked before Redis is asked anything. */
function outputProblem(file: string): string | undefined {
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch {
    return `the directory ${dir} does not exist`;
  }
  try {
    if (statSync(file).isDirectory()) return 'is a directory; name a file';
  } catch {
    // does not exist yet: the usual case
  }
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(
      argv,
      {
        tenant: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('usage', err, USAGE);
    throw err;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'export' || positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const problems: string[] = [];
  if (!values.tenant) problems.push('--tenant ID is required');
  const fromMs = values.from === undefined ? undefined : parseInstant(values.from);
  const toMs = values.to === undefined ? undefined : parseInstant(values.to);
  if (values.from === undefined) problems.push('--from ISO is required');
  else if (fromMs === undefined) problems.push(`--from "${values.from}" is not ${INSTANT_HINT}`);
  if (values.to === undefined) problems.push('--to ISO is required');
  else if (toMs === undefined) problems.push(`--to "${values.to}" is not ${INSTANT_HINT}`);
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) problems.push('--to must be after --from');
  if (values.out !== undefined) {
    const outProblem = outputProblem(values.out);
    if (outProblem) problems.push(`--out ${values.out}: ${outProblem}`);
  }
  if (problems.length > 0 || !values.tenant || fromMs === undefined || toMs === undefined) {
    process.stderr.write(`${problems.map((p) => `tollgate usage export: ${p}`).join('\n')}\n${USAGE}`);
    return 2;
  }

  const config = loadCliConfig(values.config);
  if (!config) return 1;
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  let pool: PgPool | undefined;
  try {
    const tenant = await ledger.getTenant(values.tenant);
    if (!tenant) {
      process.stderr.write(`tollgate usage export: tenant "${values.tenant}" does not exist\n`);
      return 1;
    }
    // The store of record when configured (a cursor: constant memory), else the Redis usage stream.
    const pgOpts = pgOptionsFromConfig(config);
    pool = pgOpts ? createPgPool(pgOpts) : undefined;
    const csv = Readable.from(usageCsv(pool ? usageFromPostgres(pool, tenant.id, fromMs, toMs) : ledger.usage(tenant.id, fromMs, toMs)));
    if (!values.out) {
      await pipeline(csv, process.stdout, { end: false });
      return 0;
    }
    // Written beside the target and renamed at the end: a failed export leaves no cut file behind.
    const partial = `${values.out}.partial`;
    try {
      await pipeline(csv, createWriteStream(partial));
      await rename(partial, values.out);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    process.stderr.write(`usage of ${tenant.id} for [${new Date(fromMs).toISOString()}, ${new Date(toMs).toISOString()}) written to ${values.out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof LedgerUnavailableError) {
      process.stderr.write(`tollgate usage export: ${namingRedis(err.message, config.redis)}\n`);
      return 1;
    }
    throw err;
  } finally {
    await pool?.end();
    await ledger.close();
  }
}
