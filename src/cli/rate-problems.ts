/** Rate files that do not load, printed as config errors are: a heading, then one line per problem. */
import type { RateLoadError } from '../rating/rate-errors.js';

export function rateProblemsText(err: RateLoadError, outcome: string): string {
  return [
    `rate files in ${err.dir} rejected, ${err.problems.length} problem(s); ${outcome}:`,
    ...err.problems.map((p) => `  - ${p.toString()}`),
    `fix them and try again; \`tollgate rates check --dir ${err.dir}\` checks the files alone`,
  ].join('\n');
}
