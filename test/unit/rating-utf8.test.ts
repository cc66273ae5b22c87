/**
 * Rate files must be UTF-8 (issue 11, item 13): a file saved as Latin-1 (or
 * any bytes that are no UTF-8) is rejected naming file and line, instead of
 * loading with replacement characters in destination names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRateBook } from '../../src/rating/rate-loader.js';
import { RateLoadError } from '../../src/rating/rate-errors.js';
import { outbound, writeRates } from './rating-fixtures.js';

async function problems(dir: string): Promise<string[]> {
  try {
    await loadRateBook(dir);
    return [];
  } catch (err) {
    if (!(err instanceof RateLoadError)) throw err;
    return err.problems.map((p) => p.toString());
  }
}

describe('rate file encoding', () => {
  it('rejects a Latin-1 file naming the first line that is not UTF-8', async () => {
    const dir = writeRates();
    const text = outbound('44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false', '262,RE,R\u00e9union,landline,EUR,0.05,0,60,60,2025-01-01,false');
    writeFileSync(join(dir, 'outbound.csv'), Buffer.from(text, 'latin1'));
    expect(await problems(dir)).toEqual([
      `${dir}/outbound.csv:3: not valid UTF-8 (byte 0xE9 at column 9); save the file as UTF-8`,
    ]);
  });

  it('loads the same text saved as UTF-8, with or without a byte-order mark', async () => {
    const dir = writeRates();
    const text = outbound('262,RE,R\u00e9union,landline,EUR,0.05,0,60,60,2025-01-01,false');
    writeFileSync(join(dir, 'outbound.csv'), `\ufeff${text}`);
    const { book } = await loadRateBook(dir);
    expect(book.outbound('+262262000000', Date.UTC(2025, 5, 1))?.destination).toBe('R\u00e9union');
  });
});
