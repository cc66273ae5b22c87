/**
 * Runs sipp scenarios from test/sip/scenarios against a drachtio-server on
 * loopback: callers (UAC, run to completion) and carriers (UAS, run in background).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopWithOwner } from '../../support/watchdog.js';

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
  /** Each call's response-time durations by rtd timer name (ms), when asked for (responseTimes). */
  responseTimes?: Record<string, number[]>;
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
  /** Every call's response-time durations (the scenario's rtd timers), in ms, as SippResult.responseTimes. */
  responseTimes?: boolean;
  extraArgs?: string[];
}

/** Send and receive buffer of every sipp socket (Linux caps it at net.core.rmem_max / wmem_max). */
const SIPP_BUFFER_BYTES = 2 * 1024 * 1024;

function baseArgs(scenario: string, localPort: number, keys: Record<string, string>, dir: string, trace = true): string[] {
  // sipp's own socket buffers are 64 KB: at 1,500 calls/s a 40 ms stall of sipp on shared cores overflows them and
  // the lost messages are counted against the proxy under test (seen: thousands dropped at sipp's socket, none at Kamailio's).
  const args = ['-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(localPort), '-nostdin', '-buff_size', String(SIPP_BUFFER_BYTES)];
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

/** Mean of sipp's "pdd" response time (INVITE sent to 180 received, ms), cumulative, from its -trace_stat CSV. */
export function pddMeanMs(result: SippResult): number | undefined {
  const lines = result.stats.trim().split('\n').filter((l) => l.includes(';'));
  if (lines.length < 2) return undefined;
  const col = lines[0]!.split(';').findIndex((h) => h === 'ResponseTimepdd(C)');
  const cell = col >= 0 ? lines.at(-1)!.split(';')[col] : undefined;
  // sipp writes "HH:MM:SS:uuuuuu" (microseconds last)
  const parts = cell?.split(':').map(Number);
  if (!parts || parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  return ((parts[0]! * 60 + parts[1]!) * 60 + parts[2]!) * 1000 + parts[3]! / 1000;
}

/**
 * sipp's -trace_rtt file ("Date_ms;response_time_ms;rtd_no" lines, whole ms),
 * written in its working directory or beside the scenario: times by rtd name.
 */
function readResponseTimes(dir: string, scenario: string, pid: number): Record<string, number[]> {
  const name = `${scenario.replace(/\.xml$/, '')}_${pid}_rtt.csv`;
  const out: Record<string, number[]> = {};
  for (const file of [join(dir, name), join(SCENARIOS, name)]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (file.startsWith(SCENARIOS)) rmSync(file, { force: true });
    for (const line of text.split('\n')) {
      const cells = line.split(';');
      const ms = Number(cells[1]);
      const rtd = cells[2]?.trim();
      if (!rtd || !Number.isFinite(ms) || cells[0] === 'Date_ms') continue;
      (out[rtd] ??= []).push(ms);
    }
  }
  return out;
}

/**
 * Every sipp of this process still running, by its stop function. A test that
 * fails half-way must not leave a peer bound to its port for the next test.
 */
const running = new Set<() => Promise<unknown>>();

/** Stops every sipp this process started that is still running: the SIP files' afterEach. */
export async function stopAllSipp(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/**
 * True once process `pid` holds a socket bound to UDP port `port` (Linux /proc:
 * the port's socket inodes in /proc/net/udp among the process's open files);
 * undefined where /proc cannot be read.
 */
function udpBoundBy(pid: number, port: number): boolean | undefined {
  let table: string;
  let fds: string[];
  try {
    table = readFileSync('/proc/net/udp', 'utf8');
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  // "  12: 0100007F:B3AF 00000000:0000 07 ... uid timeout inode": local address second, inode tenth.
  const inodes = new Set(
    table
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.split(':')[1] === hex)
      .map((f) => `socket:[${f[9]}]`),
  );
  if (inodes.size === 0) return false;
  return fds.some((fd) => {
    try {
      return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

/** How long a starting sipp may take to bind its port (process start on a loaded machine). */
const BIND_TIMEOUT_MS = 10_000;

/** Resolves once sipp has bound its port; rejects when it exits first (it could not bind) or never binds. */
function whenBound(proc: ChildProcess, port: number, describe: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`sipp exited at start (${code}): ${describe()}`));
    };
    const poll = (): void => {
      const bound = proc.pid === undefined ? false : udpBoundBy(proc.pid, port);
      if (bound === undefined) {
        // No /proc: give sipp the time it takes to start on an idle machine.
        timer = setTimeout(() => finish(), 500);
        return;
      }
      if (bound) return finish();
      if (Date.now() > deadline) {
        proc.off('exit', onExit);
        return reject(new Error(`sipp did not bind UDP port ${port} within ${BIND_TIMEOUT_MS} ms: ${describe()}`));
      }
      timer = setTimeout(poll, 20);
    };
    const finish = (): void => {
      proc.off('exit', onExit);
      resolve();
    };
    proc.once('exit', onExit);
    poll();
  });
}

/** Runs a caller scenario to the end; never rejects for failed calls (the result says). */
export async function runUac(opts: UacOptions): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sipp-'));
  const keys = { caller: '+15550001000', tenant: '-', user: '-', call_type: 'user_out', ...opts.keys };
  const args = [
    ...baseArgs(opts.scenario, opts.localPort, keys, dir, opts.traceMessages ?? true),
    ...(opts.stats ? ['-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1'] : []),
    ...(opts.responseTimes ? ['-trace_rtt', '-rtt_freq', '1'] : []),
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
  const proc = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const guard = stopWithOwner([proc.pid]);
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const closed = new Promise<number | null>((resolve) => proc.on('close', resolve));
  const kill = async (): Promise<unknown> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    return closed;
  };
  running.add(kill);
  const code = await closed;
  running.delete(kill);
  guard.cancel();
  const logs = readLogs(dir);
  const responseTimes = opts.responseTimes ? readResponseTimes(dir, opts.scenario, proc.pid!) : undefined;
  rmSync(dir, { recursive: true, force: true });
  return { code, output, ...logs, ...parseCounts(output), ...(responseTimes ? { responseTimes } : {}) };
}

export interface RunningUas {
  port: number;
  /** Stops sipp and returns what it saw; a repeat returns the same. */
  stop(): Promise<SippResult>;
}

/** Starts a carrier/service scenario answering on 127.0.0.1:port until stopped. */
export async function startUas(scenario: string, port: number, durationMs = 1000, traceMessages = true): Promise<RunningUas> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sipp-uas-'));
  const args = [...baseArgs(scenario, port, {}, dir, traceMessages), '-d', String(durationMs), '-timeout', '600s'];
  const proc: ChildProcess = spawn('sipp', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = stopWithOwner([proc.pid], [dir]);
  let output = '';
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let stopped: Promise<SippResult> | undefined;
  const stop = (): Promise<SippResult> => {
    stopped ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('close', () => resolve());
          proc.kill('SIGUSR1'); // sipp dumps its final screen and exits
          // On a loaded machine sipp can take seconds to write its final screen and logs: give it that time.
          setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
        });
      }
      running.delete(stop);
      guard.cancel();
      const logs = readLogs(dir);
      rmSync(dir, { recursive: true, force: true });
      return { code: proc.exitCode, output, ...logs, ...parseCounts(output) };
    })();
    return stopped;
  };
  running.add(stop);
  try {
    await whenBound(proc, port, () => `${scenario} on ${port}: ${output.slice(-500)}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}
