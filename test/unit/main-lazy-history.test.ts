/**
 * The gateway loads the history store (and PostgreSQL's client library) only
 * where postgres.url is configured: importing the process wiring loads no
 * module of `pg`. (With it configured, the history tests start real
 * PostgreSQL servers through the same wiring.)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('process wiring', () => {
  it('loads no module of pg until the history store is configured', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import('./src/main.ts');
      const require = createRequire(import.meta.url);
      const pg = Object.keys(require.cache).filter((k) => /node_modules[\\\\/]pg[\\\\/]/.test(k));
      const any = Object.keys(require.cache).length;
      process.stdout.write(JSON.stringify({ pg: pg.length, any }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const { pg, any } = JSON.parse(out) as { pg: number; any: number };
    // Other CommonJS packages (ioredis, drachtio-srf…) were loaded: the check can see a CommonJS module.
    expect(any).toBeGreaterThan(10);
    expect(pg).toBe(0);
  });
});
