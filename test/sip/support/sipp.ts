/**
 * Runs sipp scenarios from test/sip/scenarios against a drachtio-server on
 * loopback: callers (UAC, run to completion) and carriers (UAS, run in background).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

export interface SippResult {
  /** sipp's exit code: 0 every call succeeded, 1 some failed. */
  code: number | null;
  successful: number;
  failed: number;
  output: string;
  /** sipp's error log (unexpected messages, failed checks), empty when none. */
  errors: string;
  /** Every SIP message sipp sent and received (its -trace_msg log; empty when not traced). */
  messages: string;
  /** sipp's statistics CSV (-trace_stat), when asked for. */
  stats: string;
}

export interface UacOptions {
  scenario: string;
  /** drachtio-server's SIP port on 127.0.0.1. */
  target: number;
  /** The local port sipp sends from (how the gateway tells peers apart on loopback). */
  localPort: number;
  /** Dialed number: the Request-URI user part ([service]). */
  dialed: string;
  keys?: Record<string, string>;
  calls?: number;
  /** Calls per second and simultaneous-call cap. */
  rate?: number;
  limit?: number;
  /** Length of the <pause/> in the scenario (call duration), ms. */
  durationMs?: number;
  timeoutSeconds?: number;
  /** Keep sipp's message trace (default); benchmarks turn it off and ask for statistics instead. */
  traceMessages?: boolean;
  stats?: boolean;
  extraArgs?: string[];
}

function baseArgs(scenario: string, localPort: number, keys: Record<string, string>, dir: string, trace = true): string[] {
  const args = ['-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(localPort), '-nostdin'];
  args.push('-trace_err', '-error_file', join(dir, 'errors.log'));
  if (trace) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'));
  for (const [k, v] of Object.entries(keys)) args.push('-key', k, v);
  return args;
}

function parseCounts(output: string): { successful: number; failed: number } {
  // The final screen: "Successful call |   0   |   3" (periodic | cumulative).
  const pick = (label: string): number => {
    const all = [...output.matchAll(new RegExp(`${label}\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)`, 'g'))];
    const last = all.at(-1);
    return last ? Number(last[2]) : 0;
  };
  return { successful: pick('Successful call'), failed: pick('Failed call') };
}

function readLogs(dir: string): { errors: string; messages: string; stats: string } {
  const read = (prefix: string): string =>
    readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
  return { errors: read('errors'), messages: read('messages'), stats: read('stats') };
}

/** Runs a caller scenario to the end; never rejects for failed calls (the result says). */
export async function runUac(opts: UacOptions): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sipp-'));
  const keys = { caller: '+15550001000', tenant: '-', user: '-', call_type: 'user_out', ...opts.keys };
  const args = [
    ...baseArgs(opts.scenario, opts.localPort, keys, dir, opts.traceMessages ?? true),
    ...(opts.stats ? ['-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1'] : []),
    '-s', opts.dialed,
    '-m', String(opts.calls ?? 1),
    '-r', String(opts.rate ?? 10),
    '-l', String(opts.limit ?? opts.calls ?? 1),
    '-d', String(opts.durationMs ?? 1000),
    '-timeout', `${opts.timeoutSeconds ?? 30}s`,
    '-timeout_error',
    ...(opts.extraArgs ?? []),
    `127.0.0.1:${opts.target}`,
  ];
  const proc = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const logs = readLogs(dir);
  rmSync(dir, { recursive: true, force: true });
  return { code, output, ...logs, ...parseCounts(output) };
}

export interface RunningUas {
  port: number;
  /** Stops sipp and returns what it saw. */
  stop(): Promise<SippResult>;
}

/** Starts a carrier/service scenario answering on 127.0.0.1:port until stopped. */
export async function startUas(scenario: string, port: number, durationMs = 1000, traceMessages = true): Promise<RunningUas> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sipp-uas-'));
  const args = [...baseArgs(scenario, port, {}, dir, traceMessages), '-d', String(durationMs), '-timeout', '600s'];
  const proc: ChildProcess = spawn('sipp', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  // sipp prints its screen once it is bound; fail fast when it cannot bind.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 500);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sipp ${scenario} exited at start (${code}): ${output.slice(-500)}`));
    });
  });
  return {
    port,
    stop: async () => {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('close', () => resolve());
          proc.kill('SIGUSR1'); // sipp dumps its final screen and exits
          setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
        });
      }
      const logs = readLogs(dir);
      rmSync(dir, { recursive: true, force: true });
      return { code: proc.exitCode, output, ...logs, ...parseCounts(output) };
    },
  };
}
