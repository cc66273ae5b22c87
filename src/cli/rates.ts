/**
 * `tollgate rates check` validates a rates directory; `tollgate rates quote`
 * prices one call from it, as the gateway would.
 */
import { parseOptions, UsageError } from './args.js';
import { CellError, dateCell } from '../rating/cells.js';
import { quoteCall } from '../rating/quote.js';
import { RateLoadError } from '../rating/rate-errors.js';
import { loadRateBook, RATE_FILES, type LoadedRates } from '../rating/rate-loader.js';

const USAGE = `usage:
  tollgate rates check [--dir DIR]
  tollgate rates quote --to NUMBER [--from NUMBER] [--seconds N] [--at ISO] [--toll-free] [--country CC] [--dir DIR] [--json]
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
