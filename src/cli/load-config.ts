/** Config loading for the `tollgate` commands: a bad file prints its problems, one per line, and the command exits 1. */
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

export function loadCliConfig(path: string | undefined): Config | undefined {
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}
