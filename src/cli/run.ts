/**
 * `tollgate run [--config FILE]`: the gateway process. SIGHUP reloads the
 * rate files; SIGTERM/SIGINT drain live calls and stop (a second one forces).
 */
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';
import type { Config } from '../config/schema.js';
import { RateLoadError } from '../rating/rate-errors.js';
import { rateProblemsText } from './rate-problems.js';
import { createLogger } from '../log.js';
import { startGateway, type Gateway } from '../main.js';

/** Runs the gateway until a signal stops it; resolves with the exit code. */
export async function runGateway(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
    if (err instanceof RateLoadError) {
      // Read by a person fixing files: one line per problem, not one JSON line with \n inside.
      process.stderr.write(`${rateProblemsText(err, 'tollgate did not start')}\n`);
      logger.fatal({ dir: err.dir, problems: err.problems.length }, 'tollgate could not start: rate files rejected');
      return 1;
    }
    logger.fatal({ err }, 'tollgate could not start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without waiting for live calls');
        process.exit(1);
      }
      signalled = true;
      logger.info({ signal, drainSeconds: config.sip.drainSeconds }, 'stopping: no new calls; draining live calls');
      gateway.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading rate files');
      void gateway.reloadRates();
    });
  });
}

export const USAGE =
  'usage: tollgate run [--config FILE]\n' +
  '  runs the gateway (SIP through drachtio-server, admin API, /metrics, /readyz) until\n' +
  '  SIGTERM/SIGINT (drain live calls, then exit; a second signal exits at once);\n' +
  '  SIGHUP reloads the rate files. FILE defaults to $TOLLGATE_CONFIG or config/tollgate.yaml.\n';

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseOptions(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }));
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('run', err, USAGE);
    throw err;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  return runGateway(config);
}
