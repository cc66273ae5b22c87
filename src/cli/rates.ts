/**
 * `tollgate rates check` validates a rates directory; `tollgate rates quote`
 * prices one call from it, as the gateway would.
 */
import { parseOptions, UsageError } from './args.js';
import { CellError, dateCell } from '../rating/cells.js';
import { quoteCall } from '../rating/quote.js';
import { RateLoadError } from '../rating/rate-errors.js';
import { loadRateBook, RATE_FILES, type LoadedRates } from '../rating/rate-loader.js';
import { loadCliConfig } from './load-config.js';
import { namingRedis } from './redis-target.js';
import { createLedger, ledgerOptionsFromConfig, LedgerUnavailableError } from '../ledger/index.js';
import { createPgPool, pgOptionsFromConfig, type PgPool } from '../history/pg.js';
import { usageFromPostgres } from '../history/store.js';
import { INSTANT_HINT, parseInstant } from '../usage/range.js';
import { impactCsv, impactOfRecorded, impactTable, impactView } from '../usage/rate-impact.js';

const USAGE = `usage:
  tollgate rates check [--dir DIR]
  tollgate rates quote --to NUMBER [--from NUMBER] [--seconds N] [--at ISO] [--toll-free] [--country CC] [--dir DIR] [--json]
  tollgate rates impact --dir NEW [--from ISO] [--to ISO] [--tenant ID] [--json|--csv] [--config FILE]
    re-prices the recorded calls started in [from, to) (default: the last 30 days) with the
    tables of NEW, touching no balance: old and new charge per tenant and per destination
`;

/** The call cannot be quoted (bad number, unknown country): exit 1 like a missing rate. */
class NoQuote extends Error {}

async function load(dir: string): Promise<LoadedRates | undefined> {
  try {
    return await loadRateBook(dir);
  } catch (err) {
    if (!(err instanceof RateLoadError)) throw err;
    for (const p of err.problems) process.stderr.write(`${p.toString()}\n`);
    process.stderr.write(`rates rejected: ${err.problems.length} problem(s) in ${dir}\n`);
    return undefined;
  }
}

async function check(dir: string): Promise<number> {
  const loaded = await load(dir);
  if (!loaded) return 1;
  const { book, rows } = loaded;
  const what: Record<(typeof RATE_FILES)[number], string> = {
    'outbound.csv': `${rows['outbound.csv']} rates, ${book.outboundCountries()} countries`,
    'toll-free.csv': `${rows['toll-free.csv']} rates`,
    'zone-a.csv': `${rows['zone-a.csv']} countries`,
    'emergency.csv': `${rows['emergency.csv']} numbers`,
  };
  process.stdout.write(`rates ok: ${dir}, version ${book.version}\n`);
  for (const name of RATE_FILES) process.stdout.write(`  ${name.padEnd(14)} ${what[name]}\n`);
  if (loaded.bands) process.stdout.write(`  ${'bands.csv'.padEnd(14)} ${loaded.bands.bands.size} bands in ${loaded.bands.schedules.size} schedules\n`);
  return 0;
}

interface QuoteOptions {
  to?: string; from?: string; seconds?: string; at?: string; 'toll-free'?: boolean; country?: string; dir: string; json?: boolean;
}

async function quote(o: QuoteOptions): Promise<number> {
  if (!o.to) throw new UsageError('--to NUMBER is required');
  const seconds = o.seconds === undefined ? 60 : Number(o.seconds);
  if (!/^\d+$/.test(o.seconds ?? '60')) throw new UsageError(`--seconds "${o.seconds}" is not a whole number of seconds`);
  let at = Date.now();
  if (o.at !== undefined) {
    try {
      at = dateCell(o.at);
    } catch (err) {
      if (err instanceof CellError) throw new UsageError(`--at: ${err.message}`);
      throw err;
    }
  }
  if (o['toll-free'] && !o.from) throw new UsageError('--toll-free needs --from NUMBER (the caller, whose origin sets the rate)');
  const loaded = await load(o.dir);
  if (!loaded) return 1;
  // The same quote as GET /v1/rates/quote: --json prints exactly the API's body.
  const outcome = quoteCall(loaded.book, {
    to: o.to,
    ...(o.from !== undefined ? { from: o.from } : {}),
    seconds,
    atMs: at,
    tollFree: o['toll-free'] ?? false,
    ...(o.country !== undefined ? { country: o.country } : {}),
  });
  if (!outcome.ok) {
    if (outcome.code === 'BAD_NUMBER') throw new NoQuote(outcome.fields.map((f) => `--${f.path}: ${f.message}`).join('; '));
    process.stderr.write(`${outcome.message}\n`);
    return 1;
  }
  const q = outcome.quote;
  if (o.json) {
    process.stdout.write(`${JSON.stringify(q)}\n`);
    return 0;
  }
  if (q.kind === 'emergency') {
    process.stdout.write(`${q.to} is an emergency number in ${q.country}: always allowed, never charged\n`);
    return 0;
  }
  const cur = q.currency;
  process.stdout.write(
    [
      `number        ${q.to}${q.from ? ` from ${q.from}` : ''}`,
      `rate          prefix ${q.prefix}, ${q.destination}, ${q.numberType}`,
      `              ${q.source}, effective from ${q.effectiveFrom}`,
      `price         ${q.band !== undefined ? `by band, at most ${q.pricePerMinute}` : q.pricePerMinute} ${cur}/min, connection fee ${q.connectFee} ${cur}, increments ${q.initialIncrement}/${q.subsequentIncrement} s`,
      ...(q.band !== undefined
        ? [
            `band          ${q.band} at ${q.at} (schedule ${q.schedule}, ${q.timeZone})`,
            ...(q.segments ?? []).map((g) => `              ${g.band} from second ${g.fromSecond}: ${g.seconds} s at ${g.pricePerMinute} ${cur}/min`),
          ]
        : []),
      `call          ${q.seconds} s answered, ${q.billedSeconds} s billed`,
      `charge        ${q.charge} ${cur}`,
      `rate version  ${q.rateVersion}`,
    ].join('\n') + '\n',
  );
  return 0;
}

interface ImpactOptions {
  dir: string; from?: string; to?: string; tenant?: string; json?: boolean; csv?: boolean; config?: string;
}

const DAY_MS = 86_400_000;

/** `rates impact`: the dry run of a rate change over recorded calls (PostgreSQL history when configured, else Redis). */
async function impact(o: ImpactOptions): Promise<number> {
  const toMs = o.to === undefined ? Date.now() : parseInstant(o.to);
  const fromMs = o.from === undefined ? (toMs ?? Date.now()) - 30 * DAY_MS : parseInstant(o.from);
  if (fromMs === undefined) throw new UsageError(`--from "${o.from}" is not ${INSTANT_HINT}`);
  if (toMs === undefined) throw new UsageError(`--to "${o.to}" is not ${INSTANT_HINT}`);
  if (toMs <= fromMs) throw new UsageError('--to must be after --from');
  if (o.json && o.csv) throw new UsageError('--json and --csv exclude each other');
  const loaded = await load(o.dir);
  if (!loaded) return 1;
  const config = loadCliConfig(o.config);
  if (!config) return 1;
  const ledger = createLedger(ledgerOptionsFromConfig(config));
  let pool: PgPool | undefined;
  try {
    let tenants: string[];
    if (o.tenant !== undefined) {
      if (!(await ledger.getTenant(o.tenant))) {
        process.stderr.write(`tollgate rates impact: tenant "${o.tenant}" does not exist\n`);
        return 1;
      }
      tenants = [o.tenant];
    } else tenants = (await ledger.listTenants()).sort();
    const pgOpts = pgOptionsFromConfig(config);
    pool = pgOpts ? createPgPool(pgOpts) : undefined;
    const pg = pool;
    const recorded = pg ? { usage: (t: string, f: number, to: number) => usageFromPostgres(pg, t, f, to) } : ledger;
    const report = await impactOfRecorded(loaded.book, recorded, tenants, fromMs, toMs);
    if (o.json) process.stdout.write(`${JSON.stringify({ ...impactView(report), source: pg ? 'postgres' : 'redis' })}\n`);
    else if (o.csv) process.stdout.write(impactCsv(report));
    else process.stdout.write(`${impactTable(report)}(recorded calls read from ${pg ? 'PostgreSQL history' : 'the Redis usage streams'}; no balance was touched)\n`);
    return 0;
  } catch (err) {
    if (err instanceof LedgerUnavailableError) {
      process.stderr.write(`tollgate rates impact: ${namingRedis(err.message, config.redis)}\n`);
      return 1;
    }
    throw err;
  } finally {
    await pool?.end();
    await ledger.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { positionals, values } = parseOptions(
      argv,
      {
        dir: { type: 'string', default: 'rates' },
        to: { type: 'string' },
        from: { type: 'string' },
        seconds: { type: 'string' },
        at: { type: 'string' },
        'toll-free': { type: 'boolean' },
        country: { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        tenant: { type: 'string' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help || positionals[0] === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals[0] === 'check' && positionals.length === 1) return await check(values.dir);
    if (positionals[0] === 'quote' && positionals.length === 1) return await quote(values);
    if (positionals[0] === 'impact' && positionals.length === 1) return await impact(values);
    process.stderr.write(USAGE);
    return 2;
  } catch (err) {
    if (err instanceof NoQuote) {
      process.stderr.write(`tollgate rates: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`tollgate rates: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
