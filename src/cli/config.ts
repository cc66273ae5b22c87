/** `tollgate config check [--config FILE]`: validate the configuration, start nothing. */
import { redisTarget } from './redis-target.js';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { RateLoadError } from '../rating/rate-errors.js';
import { loadRateBook } from '../rating/rate-loader.js';
import { rateProblemsText } from './rate-problems.js';

const USAGE =
  'usage: tollgate config check [--config FILE]\n' +
  '  validates the config file (default $TOLLGATE_CONFIG or config/tollgate.yaml) with the\n' +
  '  environment overrides applied, and loads its rate files; starts nothing\n';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, true);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('config', err, USAGE);
    throw err;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'check' || positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    const config = loadConfig(values.config);
    // The gateway would not start on rate files that do not load: a check that passes must mean it starts.
    const { book } = await loadRateBook(config.rates.dir);
    process.stdout.write(
      `config ok: ${redisTarget(config.redis)}, ` +
        `http ${config.http.host}:${config.http.port}, drachtio ${config.drachtio.mode} ${config.drachtio.host}:${config.drachtio.port}, ` +
        `rates ${config.rates.dir} (version ${book.version}), ${config.sip.peers.length} peer(s), ${config.plans.length} plan(s)\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof RateLoadError) {
      process.stderr.write(`${rateProblemsText(err, 'the gateway would not start')}\n`);
      return 1;
    }
    throw err;
  }
}
