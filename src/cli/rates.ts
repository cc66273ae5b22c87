/**
 * `tollgate rates check` validates a rates directory; `tollgate rates quote`
 * prices one call from it, as the gateway would.
 */
import { parseOptions, UsageError } from './args.js';
import { formatMoney } from '../money.js';
import { CellError, dateCell } from '../rating/cells.js';
import { billedSeconds, chargeFor } from '../rating/charge.js';
import { normalizeNumber } from '../rating/phone-number.js';
import { RateLoadError } from '../rating/rate-errors.js';
import { loadRateBook, RATE_FILES, type LoadedRates } from '../rating/rate-loader.js';
import type { OutboundRate, TollFreeRate } from '../rating/types.js';

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
  return 0;
}

interface QuoteOptions {
  to?: string; from?: string; seconds?: string; at?: string; 'toll-free'?: boolean; country?: string; dir: string; json?: boolean;
}

function number(raw: string, country: string | undefined, what: string) {
  const n = normalizeNumber(raw, country);
  if (!n.ok) throw new NoQuote(`${what}: ${n.reason}`);
  return n;
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
  const loaded = await load(o.dir);
  if (!loaded) return 1;
  const { book } = loaded;
  const atIso = new Date(at).toISOString();

  if (!o['toll-free'] && book.isEmergency(o.country ?? '', o.to)) {
    const out = { emergency: true, number: o.to, country: o.country ?? null, charge: '0', rateVersion: book.version };
    process.stdout.write(o.json ? `${JSON.stringify(out)}\n` : `${o.to} is an emergency number${o.country ? ` in ${o.country}` : ''}: always allowed, never charged\n`);
    return 0;
  }

  let rate: OutboundRate | TollFreeRate | undefined;
  let fields: { number: string; prefix: string; destination: string; country: string; numberType: string };
  if (o['toll-free']) {
    if (!o.from) throw new UsageError('--toll-free needs --from NUMBER (the caller, whose origin sets the rate)');
    const service = number(o.to, o.country, '--to');
    const caller = number(o.from, o.country, '--from');
    const serviceCountry = service.country ?? book.outbound(service.e164, at)?.country;
    if (!serviceCountry) throw new NoQuote(`--to: cannot tell the country of toll-free number ${service.e164}`);
    const tf = book.tollFree(caller.e164, serviceCountry, at);
    if (!tf) {
      process.stderr.write(`no toll-free rate for a caller ${caller.e164} reaching a ${serviceCountry} number at ${atIso} (rates ${book.version})\n`);
      return 1;
    }
    rate = tf;
    fields = {
      number: service.e164, prefix: tf.originPrefix, country: tf.originCountry, numberType: 'toll-free',
      destination: `toll-free ${service.e164} (${serviceCountry}) from ${tf.originCountry}`,
    };
  } else {
    const dest = number(o.to, o.country, '--to');
    const out = book.outbound(dest.e164, at);
    if (!out) {
      process.stderr.write(`no rate for ${dest.e164} at ${atIso} (rates ${book.version}): the call would be rejected\n`);
      return 1;
    }
    rate = out;
    fields = { number: dest.e164, prefix: out.prefix, destination: out.destination, country: out.country, numberType: out.numberType };
  }

  const cur = rate.currency;
  const billed = billedSeconds(seconds, rate.initialIncrement, rate.subsequentIncrement);
  const charge = chargeFor(rate, seconds);
  const premiumAllowed = 'premiumAllowed' in rate ? rate.premiumAllowed : undefined;
  const result = {
    ...fields,
    pricePerMinute: formatMoney(rate.pricePerMinute), connectFee: formatMoney(rate.connectFee),
    initialIncrement: rate.initialIncrement, subsequentIncrement: rate.subsequentIncrement,
    seconds, billedSeconds: billed, charge: formatMoney(charge, cur), currency: cur,
    ...(premiumAllowed === undefined ? {} : { premiumAllowed }),
    effectiveFrom: new Date(rate.effectiveFrom).toISOString(), at: atIso, source: rate.source, rateVersion: book.version,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const blocked = fields.numberType === 'premium' && premiumAllowed === false ? ' (premium, not allowed: calls are blocked)' : '';
  process.stdout.write(
    [
      `number        ${fields.number}`,
      `rate          prefix ${fields.prefix}, ${fields.destination}, ${fields.numberType}${blocked}`,
      `              ${rate.source}, effective from ${result.effectiveFrom}`,
      `price         ${result.pricePerMinute} ${cur}/min, connection fee ${result.connectFee} ${cur}, increments ${rate.initialIncrement}/${rate.subsequentIncrement} s`,
      `call          ${seconds} s answered, ${billed} s billed`,
      `charge        ${result.charge} ${cur}`,
      `rate version  ${book.version}`,
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
