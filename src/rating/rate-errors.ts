/**
 * Problems found in rate files, each naming file, line and column, and the
 * error that rejects a whole load when there is at least one.
 */

/** One problem in a rate file; toString() gives `file:line: column "x": message`. */
export class RateFileProblem {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: string | undefined,
    readonly message: string,
  ) {}

  toString(): string {
    const where = this.line === undefined ? this.file : `${this.file}:${this.line}`;
    return this.column === undefined ? `${where}: ${this.message}` : `${where}: column "${this.column}": ${this.message}`;
  }
}

/** A rate load was rejected: every problem of every file is in `problems`. */
export class RateLoadError extends Error {
  readonly code = 'BAD_RATES';

  constructor(
    readonly dir: string,
    readonly problems: readonly RateFileProblem[],
  ) {
    super(
      `rate files in ${dir} rejected, ${problems.length} problem(s):\n` +
        problems.map((p) => `  ${p.toString()}`).join('\n'),
    );
    this.name = 'RateLoadError';
  }
}

/** Collects the problems of one file. */
export class ProblemList {
  readonly problems: RateFileProblem[] = [];

  constructor(readonly file: string) {}

  add(line: number | undefined, column: string | undefined, message: string): void {
    this.problems.push(new RateFileProblem(this.file, line, column, message));
  }
}
