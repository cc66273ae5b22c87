/**
 * Option parsing for the `tollgate` commands: node's parseArgs, with its
 * messages turned into ones a user can act on (an unknown option names the
 * closest known one; a value that looks like an option says how to pass it).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

export function closestOption(given: string, options: Options): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0]!;
  let best: { option: string; d: number } | undefined;
  for (const option of Object.keys(options)) {
    const d = distance(name, option);
    if (d <= Math.max(1, Math.floor(option.length / 3)) && (!best || d < best.d)) best = { option, d };
  }
  return best && `--${best.option}`;
}

function translate(err: Error & { code?: string }, options: Options): UsageError {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  const option = quoted.split(' ')[0]!;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const near = closestOption(option, options);
      return new UsageError(`unknown option ${option}${near ? `; did you mean ${near}?` : ''}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message)) return new UsageError(`${option} takes no value`);
      if (/ambiguous/.test(err.message)) {
        return new UsageError(`${option} needs a value; to give one that starts with "-", write ${option}=VALUE (e.g. ${option}=-5)`);
      }
      return new UsageError(`${option} needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument "${quoted}"`);
    default:
      return new UsageError(err.message);
  }
}

/** parseArgs with readable errors (UsageError). */
export function parseOptions<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('ERR_PARSE_ARGS')) throw translate(e, options);
    throw err;
  }
}

/** Prints a usage mistake the one way every command does; returns exit code 2. */
export function usageMistake(command: string, err: UsageError, usage: string): number {
  process.stderr.write(`tollgate ${command}: ${err.message}\n${usage}`);
  return 2;
}
