/**
 * Runs the `tollgate` command as a user would (tsx on src/cli.ts), for
 * CLI-level tests: one-shot with spawnSync, or long-running with spawn.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** tsx by URL, so the command also runs from a working directory outside the repository. */
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Env for a child: the test's own, without a REDIS_URL or config a developer may have exported. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key === 'REDIS_URL' || key.startsWith('TOLLGATE_')) delete env[key];
  return { ...env, ...extra };
}

export function tollgateSync(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', TSX, CLI, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? REPO,
    env: cliEnv(opts.env),
    timeout: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningCli {
  proc: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves once stderr+stdout match, rejects when the process exits first or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function tollgateSpawn(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; spawn?: SpawnOptions } = {}): RunningCli {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    env: cliEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts.spawn,
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    for (const l of listeners) l();
    resolve(code);
  }));
  return {
    proc,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(err + out)) {
            done();
            resolve();
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            done();
            reject(new Error(`exited (${proc.exitCode ?? proc.signalCode}) before ${pattern}: ${err}${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${err}${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
