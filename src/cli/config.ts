/** `tollgate config check [--config FILE]`: validate the configuration, start nothing. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' } },
  });
  if (positionals[0] !== 'check') {
    process.stderr.write('usage: tollgate config check [--config FILE]\n');
    return 2;
  }
  try {
    const config = loadConfig(values.config);
    process.stdout.write(
      `config ok: redis ${config.redis.clusterNodes.length > 0 ? `cluster ${config.redis.clusterNodes.join(',')}` : config.redis.url}, ` +
        `http ${config.http.host}:${config.http.port}, drachtio ${config.drachtio.mode} ${config.drachtio.host}:${config.drachtio.port}, ` +
        `rates ${config.rates.dir}, ${config.sip.peers.length} peer(s), ${config.plans.length} plan(s)\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
