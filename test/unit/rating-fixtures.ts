/**
 * Writes small rate directories for rating tests: a valid default for each
 * file, any of which a test replaces with its own text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Temp dirs made by writeRates in this test file, removed when the file is done. */
const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newRateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-rates-'));
  madeDirs.push(dir);
  return dir;
}

export const OUTBOUND_HEADER =
  'prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed';
export const TOLL_FREE_HEADER =
  'origin_prefix,origin_country,service_country,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from';

export const DEFAULT_FILES = {
  'outbound.csv': `${OUTBOUND_HEADER}\n44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false\n447,GB,United Kingdom Mobile,mobile,EUR,0.0300,0,60,60,2025-01-01,false\n`,
  'toll-free.csv': `${TOLL_FREE_HEADER}\n44,GB,*,EUR,0.0200,0,60,60,2025-01-01\n`,
  'zone-a.csv': 'country,name\nGB,United Kingdom\n',
  'emergency.csv': 'country,number\nGB,999\n*,112\n',
};

export type RateFiles = Partial<Record<keyof typeof DEFAULT_FILES, string | null>>;

/** Writes the files into `dir` (a new temp dir by default); null leaves a file out. */
export function writeRates(files: RateFiles = {}, dir = newRateDir()): string {
  for (const [name, text] of Object.entries({ ...DEFAULT_FILES, ...files })) {
    if (text !== null) writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** An outbound.csv with the header and these rows. */
export function outbound(...rows: string[]): string {
  return `${OUTBOUND_HEADER}\n${rows.join('\n')}\n`;
}

export function tollFree(...rows: string[]): string {
  return `${TOLL_FREE_HEADER}\n${rows.join('\n')}\n`;
}
