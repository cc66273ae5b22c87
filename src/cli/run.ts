/**
 * `tollgate run [--config FILE]`: the gateway process. SIGHUP reloads the
 * rate files; SIGTERM/SIGINT drain live calls and stop (a second one forces).
 */
import { parseArgs } from 'node:util';
import { loadCliConfig } from './load-config.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { startGateway, type Gateway } from '../main.js';

/** Runs the gateway until a signal stops it; resolves with the exit code. */
export async function runGateway(config: Config): Promise<number> {
  const logger = createLogger(config.log.level);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
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

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  return runGateway(config);
}
