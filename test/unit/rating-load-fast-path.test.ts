/**
 * The rate table reader's fast paths (cells cut in place by indexOf, plain
 * amounts, increments and prefixes read from their characters, memoized
 * values found without cutting a string, duplicate keys by prefix value)
 * against the plain way (rating-load-reference.ts): over random and mutated
 * tables, valid and not, the same rows, field for field and in field order,
 * and the same problems, worded alike and in the order a load lists them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_BANDS, parseBands, type BandCatalog } from '../../src/rating/bands.js';
import {
  CellError, CellMemo, feeCell, incrementCell, prefixCell, priceCell, scanAmount, scanIncrement, scanPrefix,
} from '../../src/rating/cells.js';
import { OUTBOUND_COLUMNS, parseOutboundRates } from '../../src/rating/outbound-table.js';
import { ProblemList } from '../../src/rating/rate-errors.js';
import { parseTollFreeRates, TOLL_FREE_COLUMNS } from '../../src/rating/toll-free-table.js';
import { referenceOutbound, referenceTollFree } from './rating-load-reference.js';

/** What a string parser makes of a text: its value, or its CellError's message. */
function outcome<T>(parse: (text: string) => T, text: string): { value: T } | { error: string } {
  try {
    return { value: parse(text) };
  } catch (err) {
    if (!(err instanceof CellError)) throw err;
    return { error: err.message };
  }
}

/** Texts near the plain forms: digits, dots, signs, spaces, letters, a no-break space, a non-ASCII digit. */
const nearText = fc.string({ unit: fc.constantFrom(...'0123456789012345678901234567890.+-e ,x\u00a0\u0663'), maxLength: 18 });
const digitText = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max });
const amountText = fc.oneof(
  nearText,
  fc.tuple(digitText(7), fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 8 }))).map(([u, f]) => (f === null ? u : `${u}.${f}`)),
  fc.constantFrom('0', '0.0125', '10000', '10000.0', '10000.000001', '9999.999999', '00010000', '.5', '5.', '-0', '-1', '1e3', ' 1', '0,12', ''),
);

/** A text at a random place in a longer source, as a row's cell is. */
const placed = (text: fc.Arbitrary<string>) =>
  fc.tuple(fc.string({ maxLength: 4 }), text, fc.string({ maxLength: 4 })).map(([before, t, after]) => ({ source: before + t + after, start: before.length, end: before.length + t.length, text: t }));

describe('cell scans in place', () => {
  it('an amount read in place is what priceCell and feeCell make of its text, or left to them', () => {
    fc.assert(
      fc.property(placed(amountText), ({ source, start, end, text }) => {
        const scanned = scanAmount(source, start, end);
        if (scanned === undefined) return;
        expect(outcome(priceCell, text)).toEqual({ value: scanned });
        expect(outcome(feeCell, text)).toEqual({ value: scanned });
        expect(Number.isSafeInteger(scanned)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // The plain forms are all read in place, none left to the parser.
    for (const text of ['0', '0.0125', '10000', '9999.999999', '1.5', '0.000001']) expect(scanAmount(text, 0, text.length)).toBe(priceCell(text));
  });

  it('an increment read in place is what incrementCell makes of its text, or left to it', () => {
    const text = fc.oneof(nearText, digitText(5), fc.constantFrom('0', '1', '60', '3600', '3601', '0060', '9999', ''));
    fc.assert(
      fc.property(placed(text), ({ source, start, end, text }) => {
        const scanned = scanIncrement(source, start, end);
        if (scanned !== undefined) expect(outcome(incrementCell, text)).toEqual({ value: scanned });
        else if (/^\d{1,4}$/.test(text)) expect(outcome(incrementCell, text)).toHaveProperty('error');
      }),
      { numRuns: 20_000 },
    );
  });

  it('a prefix read in place is what prefixCell makes of its text, or left to it', () => {
    const text = fc.oneof(nearText, digitText(17), digitText(16).map((d) => `+${d}`), fc.constantFrom('+', '0', '+0', '44', '+44', '999999999999999', '1000000000000000', ''));
    fc.assert(
      fc.property(placed(text), ({ source, start, end, text }) => {
        const scanned = scanPrefix(source, start, end);
        if (scanned !== undefined) expect(outcome(prefixCell, text)).toEqual({ value: scanned });
        else expect(outcome(prefixCell, text)).toHaveProperty('error');
      }),
      { numRuns: 20_000 },
    );
  });

  it('CellMemo finds what a Map of the cut texts finds', () => {
    fc.assert(
      fc.property(fc.array(placed(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('GB', 'US', 'landline', 'mobile', '2025-01-01'))), { maxLength: 400 }), (cells) => {
        const memo = new CellMemo<number>();
        const reference = new Map<string, number>();
        cells.forEach(({ source, start, end, text }, i) => {
          expect(memo.get(source, start, end)).toBe(reference.get(text));
          if (!reference.has(text) && i % 3 !== 0) {
            reference.set(text, i);
            memo.set(text, i);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

// Tables: cells from small pools of good texts, now and then a bad one, so rows repeat keys, memoized texts and band groups.
const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const cell = (good: fc.Arbitrary<string>, bad: fc.Arbitrary<string>) => fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: bad });
const OUTBOUND_CELLS: Record<string, fc.Arbitrary<string>> = {
  prefix: cell(fc.oneof(pick('44', '447', '4420', '1', '1212', '33', '+44'), digitText(9).filter((d) => d[0] !== '0')), pick('0447', '', 'x44', '1234567890123456')),
  country: cell(pick('GB', 'US', 'FR'), pick('UK', 'gb', '', 'GBR')),
  destination: cell(pick('United Kingdom', 'UK', 'Zürich', 'a, b'), pick('')),
  number_type: cell(pick('landline', 'mobile', 'premium', 'toll-free'), pick('Mobile', 'cell', '')),
  currency: cell(pick('USD', 'EUR'), pick('usd', 'RMB', '')),
  price_per_minute: cell(fc.oneof(pick('0.0150', '0.03', '1.5', '0', '10000'), digitText(2).map((d) => `0.${d}`)), amountText),
  connection_fee: cell(pick('', '0', '0.01'), amountText),
  initial_increment: cell(pick('', '60', '1', '30'), pick('0', '3601', '6o', '1.5')),
  subsequent_increment: cell(pick('', '60', '1', '6'), pick('0', '-1', '99999')),
  effective_from: cell(
    pick('2025-01-01', '2026-06-01T00:00:00Z', '2025-01-01T00:00:00+00:00', '2025-07-01 06:00', ''),
    pick('2025-13-01', '2025-02-30', '01/01/2025', '2025-01-01T24:00:00Z'),
  ),
  premium_allowed: cell(pick('', 'false', 'true'), pick('TRUE', 'yes')),
  band: cell(pick('', '', '', 'uk-peak', 'uk-off', 'us-day', 'us-night'), pick('nope')),
};
const TOLL_FREE_CELLS: Record<string, fc.Arbitrary<string>> = {
  origin_prefix: OUTBOUND_CELLS.prefix!,
  origin_country: OUTBOUND_CELLS.country!,
  service_country: cell(pick('*', 'GB', 'US'), pick('', '**')),
  currency: OUTBOUND_CELLS.currency!,
  price_per_minute: OUTBOUND_CELLS.price_per_minute!,
  connection_fee: OUTBOUND_CELLS.connection_fee!,
  initial_increment: OUTBOUND_CELLS.initial_increment!,
  subsequent_increment: OUTBOUND_CELLS.subsequent_increment!,
  effective_from: OUTBOUND_CELLS.effective_from!,
  band: OUTBOUND_CELLS.band!,
};

/** How a cell is written: mostly as it is, else padded, quoted (with an inner quote doubled) or broken. */
const written = (text: string) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constant(text.includes(',') ? `"${text}"` : text) },
    { weight: 1, arbitrary: pick(` ${text} `, `\t${text}`, `\u00a0${text}\u00a0`, `${text}\ufeff`) },
    { weight: 1, arbitrary: pick(`"${text}"`, ` "${text}" `, `"${text}""x"`, `"${text}`, `"${text}"x`) },
  );

/** A header of the spec's columns, shuffled, optional ones sometimes left out, now and then misnamed or repeated. */
function header(columns: readonly { name: string; required: boolean }[]) {
  return fc
    .tuple(fc.shuffledSubarray(columns.filter((c) => !c.required).map((c) => c.name)), fc.boolean(), fc.integer({ min: 0, max: 30 }))
    .chain(([optional, upper, odd]) =>
      fc.shuffledSubarray([...columns.filter((c) => c.required).map((c) => c.name), ...optional], { minLength: columns.filter((c) => c.required).length + optional.length }).map((names) => {
        const shown = names.map((n) => (upper ? n.toUpperCase() : n));
        if (odd === 0) shown.push('colour');
        if (odd === 1) shown.push(shown[0]!);
        if (odd === 2) shown.pop();
        return { names, line: shown.join(',') };
      }),
    );
}

/**
 * A whole file: the header, rows of the header's columns, with a band column
 * groups of rows pricing each band of a schedule (now and then one short,
 * repeated or differing), comment and blank lines, short and long rows, LF or
 * CRLF, maybe a BOM.
 */
function table(columns: readonly { name: string; required: boolean }[], cells: Record<string, fc.Arbitrary<string>>, maxRows: number, groupWeight = 5) {
  return header(columns).chain(({ names, line }) => {
    const texts = fc.tuple(...names.map((n) => cells[n]!.chain(written)));
    const row = fc
      .tuple(texts, fc.integer({ min: 0, max: 60 }))
      .map(([t, odd]) => [(odd === 0 ? t.slice(1) : odd === 1 ? [...t, 'extra'] : t).join(',')]);
    const bandAt = names.indexOf('band');
    const priceAt = names.indexOf('price_per_minute');
    const group = fc
      .tuple(texts, pick(['uk-peak', 'uk-off'], ['us-day', 'us-night']), fc.array(pick('0.01', '0.02', '0.5'), { minLength: 2, maxLength: 2 }), fc.integer({ min: 0, max: 6 }))
      .map(([t, bands, prices, odd]) => {
        const rows = bands.map((band, i) => t.map((text, k) => (k === bandAt ? band : k === priceAt ? prices[i]! : text)));
        if (odd === 0) rows.pop();
        if (odd === 1) rows.push(rows[0]!);
        if (odd === 2) rows[1]![names.indexOf('currency')] = 'EUR';
        return rows.map((r) => r.join(','));
      });
    const extra = pick(['# a comment'], ['   # indented'], [''], ['  '], ['\u00a0'], ['"'], ['only,two']);
    const lines = fc.oneof({ weight: 15, arbitrary: row }, { weight: bandAt < 0 ? 0 : groupWeight, arbitrary: group }, { weight: 1, arbitrary: extra });
    return fc
      .tuple(fc.array(lines, { maxLength: maxRows }), fc.boolean(), fc.boolean(), fc.boolean())
      .map(([rows, crlf, bom, lastNewline]) => `${bom ? '\ufeff' : ''}${[line, ...rows.flat()].join(crlf ? '\r\n' : '\n')}${lastNewline ? '\n' : ''}`);
  });
}

/** A file's problems as buildRateBook lists them: by line, stably (repeated keys are found after the other problems). */
const asListed = (problems: ProblemList) => [...problems.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).map(String);

const BANDS = [
  'schedule,band,time_zone,days,from,to',
  'uk,uk-peak,Europe/London,mon-fri,08:00,18:00',
  'uk,uk-off,Europe/London,,,',
  'us,us-day,America/New_York,*,08:00,20:00',
  'us,us-night,America/New_York,,,',
].join('\n');

describe('rate tables: fast reader against the plain one', () => {
  let catalog: BandCatalog | undefined;
  const bands = async () => (catalog ??= await parseBands(BANDS, new ProblemList('bands.csv')));

  async function same(parse: typeof parseOutboundRates | typeof parseTollFreeRates, reference: typeof referenceOutbound | typeof referenceTollFree, text: string, withBands: boolean) {
    const [cat, has] = withBands ? [await bands(), true] : [EMPTY_BANDS, false];
    const fast = new ProblemList('/rates/x.csv');
    const plain = new ProblemList('/rates/x.csv');
    const rows = await parse(text, fast, cat, has);
    const expected = reference(text, plain, cat, has);
    expect(asListed(fast)).toEqual(asListed(plain));
    expect(rows).toEqual(expected);
    expect(rows.map((r) => Object.keys(r).join())).toEqual(expected.map((r) => Object.keys(r).join()));
    return { rows: rows.length, problems: fast.problems.length };
  }

  it('outbound.csv: the same rows and problems', async () => {
    let rows = 0;
    let problems = 0;
    await fc.assert(
      fc.asyncProperty(table(OUTBOUND_COLUMNS, OUTBOUND_CELLS, 40), fc.boolean(), async (text, withBands) => {
        const n = await same(parseOutboundRates, referenceOutbound, text, withBands);
        rows += n.rows;
        problems += n.problems;
      }),
      { numRuns: 1500 },
    );
    // The tables were neither all rejected nor all clean.
    expect(rows).toBeGreaterThan(1000);
    expect(problems).toBeGreaterThan(1000);
  });

  it('outbound.csv with few keys: repeats before and after the first banded row, the same', async () => {
    // Until a banded row, repeats are found at the end; from it on, row by row: both ways, and the switch.
    const fewKeys = {
      ...OUTBOUND_CELLS,
      prefix: pick('44', '447', '33'),
      effective_from: pick('2025-01-01', '2026-06-01T00:00:00Z'),
      band: fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick('uk-peak', 'us-day', 'nope') }),
    };
    const withBandColumn = table(OUTBOUND_COLUMNS, fewKeys, 40, 1).filter((text) => /(^|,)band(,|\r?$)/im.test(text.replace(/^\ufeff/, '').split('\n')[0]!));
    await fc.assert(
      fc.asyncProperty(withBandColumn, async (text) => {
        await same(parseOutboundRates, referenceOutbound, text, true);
      }),
      { numRuns: 1000 },
    );
  });

  it('toll-free.csv: the same rows and problems', async () => {
    await fc.assert(
      fc.asyncProperty(table(TOLL_FREE_COLUMNS, TOLL_FREE_CELLS, 40), fc.boolean(), async (text, withBands) => {
        await same(parseTollFreeRates, referenceTollFree, text, withBands);
      }),
      { numRuns: 600 },
    );
  });

  it('a big table, mostly valid, read across many slices and memo and key table growth: the same', async () => {
    const good = (i: number) => `${4400000 + (i % 15_000)},GB,UK ${i},${i % 2 ? 'mobile' : 'landline'},USD,0.${String(i % 9973).padStart(4, '0')},0,60,${i % 3 ? 60 : 1},${i < 15_000 ? '2025-01-01' : `2025-${String(1 + (i % 12)).padStart(2, '0')}-01`},false`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(29_999), OUTBOUND_CELLS.price_per_minute!), { maxLength: 30 }), async (mutations) => {
        const lines = Array.from({ length: 30_000 }, (_, i) => good(i));
        for (const [at, price] of mutations) lines[at] = lines[at]!.replace(/,USD,[^,]*,/, `,USD,${price.includes(',') ? `"${price}"` : price},`);
        await same(parseOutboundRates, referenceOutbound, `${OUTBOUND_COLUMNS.slice(0, 11).map((c) => c.name).join(',')}\n${lines.join('\n')}\n`, false);
      }),
      { numRuns: 4 },
    );
  });
});
