#!/usr/bin/env node
/**
 * The `tollgate` command. Each command group lives in src/cli/<group>.ts and
 * exports run(argv) returning the exit code.
 */
import { readFileSync } from 'node:fs';
import { ENVIRONMENT_VARIABLES } from './config/load.js';

const GROUPS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  run: { summary: 'run the gateway (SIP, HTTP API, metrics) [--config FILE]', load: () => import('./cli/run.js') },
  demo: { summary: 'the gateway on the demo configuration, with a Redis of its own [--config FILE] [--data-dir DIR]', load: () => import('./cli/demo.js') },
  config: { summary: 'config check [--config FILE]: validate the configuration and its rate files', load: () => import('./cli/config.js') },
  rates: { summary: 'rates check|quote|impact [--dir DIR] (see tollgate rates --help)', load: () => import('./cli/rates.js') },
  usage: { summary: 'usage export --tenant ID --from ISO --to ISO [--config FILE] [--out FILE]', load: () => import('./cli/usage.js') },
  statement: { summary: 'statement --tenant ID --month YYYY-MM [--format csv|json]: monthly statement (PostgreSQL)', load: () => import('./cli/statement.js') },
  reconcile: { summary: 'reconcile --tenant ID [--month YYYY-MM]: balance = opening + journal, charges = usage (exit 1 on a difference)', load: () => import('./cli/reconcile.js') },
  db: { summary: 'db migrate [--config FILE]: apply the history store\'s schema migrations', load: () => import('./cli/db.js') },
  provision: { summary: 'provision import|check FILE [--config FILE]', load: () => import('./cli/provision.js') },
  portal: { summary: 'portal admin|key add|list|...: tenant admin accounts and tenant API keys (see tollgate portal --help)', load: () => import('./cli/portal.js') },
  simulate: { summary: 'simulate --calls N --concurrency C --balance X [--redis URL] [--config FILE]', load: () => import('./cli/simulate.js') },
};

function version(): string {
  // src/cli.ts sits one level under the package root, dist/src/cli.js two.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

function usage(): string {
  const lines = Object.entries(GROUPS).map(([name, g]) => `  tollgate ${name.padEnd(10)} ${g.summary}`);
  const vars = ENVIRONMENT_VARIABLES.map(([name, what]) => `  ${name.padEnd(26)} ${what}`);
  return [
    'usage: tollgate COMMAND [OPTIONS]',
    '',
    'commands:',
    ...lines,
    '',
    'options:',
    '  --config FILE, -c FILE     the config file (commands that read one)',
    '  --help, -h                 a command\'s own usage: tollgate COMMAND --help, or tollgate help COMMAND',
    '  --version, -V              the version',
    '',
    'environment:',
    ...vars,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === '--version' || group === '-V') {
    process.stdout.write(`tollgate ${version()}\n`);
    return 0;
  }
  if (group === 'help' && rest[0] && GROUPS[rest[0]]) return (await GROUPS[rest[0]]!.load()).run(['--help']);
  if (!group || group === '--help' || group === '-h' || group === 'help') {
    process.stdout.write(usage());
    return group ? 0 : 2;
  }
  const entry = GROUPS[group];
  if (!entry) {
    process.stderr.write(`tollgate: unknown command "${group}"\n${usage()}`);
    return 2;
  }
  const mod = await entry.load();
  return mod.run(rest);
}

/**
 * Once a command has its exit code the process ends, even when a library left
 * a socket or timer open (a gateway that failed half-way through start-up must
 * not run on); unref'd, so a clean exit is not delayed.
 */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 3000).unref();
}

main(process.argv.slice(2)).then(exitSoon, (err: unknown) => {
  process.stderr.write(`tollgate: ${err instanceof Error ? err.message : String(err)}\n`);
  exitSoon(1);
});
