/**
 * A throw-away PostgreSQL for a test file: initdb into a temp directory (owned
 * by the postgres user when the run is root), a free loopback port, stopped
 * by the owner or, if the owner is killed, by a watchdog.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPostgres } from '../../src/history/local-postgres.js';
import { freePort } from './redis-server.js';
import { stopWithOwner } from './watchdog.js';

export interface RunningPostgres {
  url: string;
  /** Stops the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  // The server runs as the postgres user when the tests run as root: it must reach its data directory.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const server = new LocalPostgres({ dataDir, port: await freePort() });
  server.init();
  await server.start();
  let guard = stopWithOwner([server.pid], [dir]);
  return {
    url: server.url,
    stop: async () => {
      guard.cancel();
      await server.stop();
      guard = stopWithOwner([], [dir]);
    },
    start: async () => {
      await server.start();
      guard.cancel();
      guard = stopWithOwner([server.pid], [dir]);
    },
    destroy: async () => {
      guard.cancel();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
