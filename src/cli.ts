#!/usr/bin/env node
/**
 * The `tollgate` command. Each command group lives in src/cli/<group>.ts and
 * exports run(argv) returning the exit code.
 */
const GROUPS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  run: { summary: 'run the gateway (SIP, HTTP API, metrics) [--config FILE]', load: () => import('./cli/run.js') },
  demo: { summary: 'run the gateway on the demo configuration, with a Redis of its own', load: () => import('./cli/demo.js') },
  config: { summary: 'config check [--config FILE]', load: () => import('./cli/config.js') },
  rates: { summary: 'rates check|quote [--dir DIR] (see tollgate rates --help)', load: () => import('./cli/rates.js') },
  usage: { summary: 'usage export --tenant ID --from ISO --to ISO [--config FILE] [--out FILE]', load: () => import('./cli/usage.js') },
  provision: { summary: 'provision import|check FILE [--config FILE]', load: () => import('./cli/provision.js') },
  simulate: { summary: 'simulate --calls N --concurrency C --balance X [--redis URL] [--config FILE]', load: () => import('./cli/simulate.js') },
};

function usage(): string {
  const lines = Object.entries(GROUPS).map(([name, g]) => `  tollgate ${name.padEnd(10)} ${g.summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv;
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
