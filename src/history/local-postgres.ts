/**
 * A PostgreSQL server of one's own (the demo, tests, benchmarks): Debian's
 * binaries (/usr/lib/postgresql/N/bin), a data directory made by initdb,
 * loopback only, on a given port. PostgreSQL refuses to run as root, so when
 * this process is root the server runs as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** The newest Debian PostgreSQL bin directory, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  const env = process.env.POSTGRES_BIN;
  if (env && existsSync(join(env, 'postgres'))) return env;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  if (!uid || !gid) throw new Error('PostgreSQL refuses to run as root and there is no postgres user');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface LocalPostgresOptions {
  dataDir: string;
  port: number;
  /** Faster and not crash-safe: tests and benchmarks only. */
  durable?: boolean;
  /** Where its log goes; default: drained and dropped. */
  logFile?: string;
}

export class LocalPostgres {
  readonly url: string;
  private proc: ChildProcess | undefined;
  private readonly bin: string;
  private readonly user: { uid: number; gid: number } | undefined;

  constructor(private readonly opts: LocalPostgresOptions) {
    const bin = findPostgresBin();
    if (!bin) throw new Error('no PostgreSQL server found (Debian: apt-get install postgresql; or set POSTGRES_BIN)');
    this.bin = bin;
    this.user = postgresUser();
    this.url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** initdb when the directory holds no cluster yet. */
  init(): void {
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o700 });
    if (this.user) chownSync(this.opts.dataDir, this.user.uid, this.user.gid);
    if (existsSync(join(this.opts.dataDir, 'PG_VERSION'))) return;
    try {
      execFileSync(join(this.bin, 'initdb'), ['-D', this.opts.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', ...(this.opts.durable ? [] : ['--no-sync'])], {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(this.user ?? {}),
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`initdb ${this.opts.dataDir} failed${this.user ? ' (as the postgres user, who must be able to reach that directory)' : ''}: ${stderr || String(err)}`);
    }
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.proc && this.proc.exitCode === null) return;
    const args = ['-D', this.opts.dataDir, '-p', String(this.opts.port), '-c', 'listen_addresses=127.0.0.1', '-k', this.opts.dataDir];
    if (!this.opts.durable) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const proc = spawn(join(this.bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(this.user ?? {}) });
    proc.stdout?.resume();
    proc.stderr?.resume();
    this.proc = proc;
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`postgres on port ${this.opts.port} exited with ${proc.exitCode}`);
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > until) throw new Error(`postgres on port ${this.opts.port} did not accept connections within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Fast shutdown (SIGINT): open transactions are rolled back, clients cut off. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGINT');
    });
  }
}
