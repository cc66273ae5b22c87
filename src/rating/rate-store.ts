/**
 * Hot reload of rate files: holds the current RateBook, swaps in a new one
 * only when the whole directory is valid, on fs changes (debounced) or SIGHUP.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { RateLoadError } from './rate-errors.js';
import { BANDS_FILE, loadRateBook, RATE_FILES, type LoadedRates } from './rate-loader.js';
import type { IndexedRateBook } from './rate-book.js';

export interface RateStoreOptions {
  dir: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'rateReloads'>;
  /** Quiet time after the last file event before reloading (editors write in bursts). */
  debounceMs?: number;
}

export type ReloadResult =
  | { outcome: 'loaded'; version: string; previous: string }
  | { outcome: 'unchanged'; version: string }
  | { outcome: 'rejected'; version: string; problems: string[] };

/** Problems written to one log line; `tollgate rates check` prints them all. */
const LOGGED_PROBLEMS = 200;

export class RateStore {
  private loaded: LoadedRates;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<ReloadResult> | undefined;
  private again = false;
  private readonly listeners = new Set<(book: IndexedRateBook) => void>();

  private constructor(private readonly opts: RateStoreOptions, first: LoadedRates) {
    this.loaded = first;
  }

  /** Loads `dir`; a bad directory at start-up throws RateLoadError (nothing to fall back on). */
  static async open(opts: RateStoreOptions): Promise<RateStore> {
    let first: LoadedRates;
    try {
      first = await loadRateBook(opts.dir);
    } catch (err) {
      opts.metrics?.rateReloads.inc({ outcome: 'rejected' });
      throw err;
    }
    opts.metrics?.rateReloads.inc({ outcome: 'loaded' });
    opts.logger.info({ rateVersion: first.book.version, dir: opts.dir, rows: first.rows }, 'rate tables loaded');
    return new RateStore(opts, first);
  }

  /** The book in effect now; take it once per call so one call is priced from one version. */
  get book(): IndexedRateBook {
    return this.loaded.book;
  }

  get rows(): LoadedRates['rows'] {
    return this.loaded.rows;
  }

  /** Called with the new book after each successful swap. */
  onSwap(listener: (book: IndexedRateBook) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the directory; swaps only when every file is valid. Concurrent
   * requests share one load, and a request during a load triggers one more.
   */
  reload(trigger = 'manual'): Promise<ReloadResult> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    const run = async (): Promise<ReloadResult> => {
      try {
        let result: ReloadResult;
        do {
          this.again = false;
          result = await this.loadOnce(trigger);
        } while (this.again);
        return result;
      } finally {
        this.pending = undefined;
      }
    };
    this.pending = run();
    return this.pending;
  }

  private async loadOnce(trigger: string): Promise<ReloadResult> {
    const { logger, metrics, dir } = this.opts;
    const current = this.loaded.book.version;
    let next: LoadedRates;
    try {
      next = await loadRateBook(dir);
    } catch (err) {
      const problems = err instanceof RateLoadError ? err.problems.map((p) => p.toString()) : [`${dir}: ${(err as Error).message}`];
      metrics?.rateReloads.inc({ outcome: 'rejected' });
      logger.error(
        {
          dir, trigger, rateVersion: current, problemCount: problems.length,
          problems: problems.slice(0, LOGGED_PROBLEMS),
        },
        `rate files rejected, still serving version ${current}: ${problems.length} problem(s)` +
          (problems.length > LOGGED_PROBLEMS ? `; run "tollgate rates check --dir ${dir}" for all` : ''),
      );
      return { outcome: 'rejected', version: current, problems };
    }
    if (next.book.version === current) {
      logger.debug({ dir, trigger, rateVersion: current }, 'rate files unchanged');
      return { outcome: 'unchanged', version: current };
    }
    this.loaded = next;
    metrics?.rateReloads.inc({ outcome: 'loaded' });
    logger.info({ dir, trigger, rateVersion: next.book.version, previous: current, rows: next.rows }, 'rate tables reloaded');
    for (const listener of this.listeners) {
      try {
        listener(next.book);
      } catch (err) {
        logger.error({ err, rateVersion: next.book.version }, 'a rate swap listener failed');
      }
    }
    return { outcome: 'loaded', version: next.book.version, previous: current };
  }

  /** For the SIGHUP handler: reload now, outcome reported through logs and metrics. */
  onSighup(): Promise<ReloadResult> {
    return this.reload('SIGHUP');
  }

  /** Reloads after changes to the rate files, once the directory is quiet for debounceMs. */
  watch(): void {
    if (this.watcher) return;
    const names = new Set<string>([...RATE_FILES, BANDS_FILE]);
    this.watcher = watch(this.opts.dir, (_event, filename) => {
      if (filename && !names.has(filename.toString())) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload('watch'), this.opts.debounceMs ?? 250);
    });
    this.watcher.on('error', (err) => this.opts.logger.error({ err, dir: this.opts.dir }, 'watching rate files failed; SIGHUP still reloads'));
  }

  /** Stops watching; a reload already running finishes. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
