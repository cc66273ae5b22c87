/**
 * Load-loop helpers for the benchmarks: run a task with bounded concurrency
 * for a bounded count and time, and summarize latencies as percentiles.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';

export interface LoadResult {
  label: string;
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs task(i) for i = 0..count-1 with `concurrency` in flight, stopping early
 * once maxSeconds have passed. Every op's latency is recorded; failures count
 * as errors (and their first message is kept).
 */
export async function runLoad(
  label: string,
  opts: { count: number; concurrency: number; maxSeconds: number },
  task: (i: number) => Promise<unknown>,
): Promise<LoadResult & { firstError?: string }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;
  async function worker(): Promise<void> {
    while (next < opts.count && performance.now() < deadline) {
      const i = next++;
      const t = performance.now();
      try {
        await task(i);
        latencies.push(performance.now() - t);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label,
    ops: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    ...(firstError ? { firstError } : {}),
  };
}

export function printTable(results: Array<LoadResult & { firstError?: string }>): void {
  const rows = results.map((r) => [
    r.label,
    String(r.ops),
    String(r.errors),
    r.perSecond.toFixed(0),
    r.p50Ms.toFixed(3),
    r.p99Ms.toFixed(3),
    r.maxMs.toFixed(3),
  ]);
  const head = ['what', 'ops', 'errors', 'ops/s', 'p50 ms', 'p99 ms', 'max ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  for (const r of results) if (r.firstError) process.stdout.write(`  ${r.label}: first error: ${r.firstError}\n`);
}

/** Reads a positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) === 0) throw new Error(`${name}="${v}" is not a positive whole number`);
  return Number(v);
}

/** Counts what the process sends to Redis: one count per command written (a pipeline's commands go out in one write). */
export function countCommands(): { byName: Map<string, number>; bytes(): number; reset(): void; total(): number } {
  const byName = new Map<string, number>();
  let bytes = 0;
  const proto = Redis.prototype as unknown as { sendCommand(cmd: { name: string; args: unknown[] }, stream?: unknown): unknown };
  const original = proto.sendCommand;
  proto.sendCommand = function (this: unknown, cmd: { name: string; args: unknown[] }, stream?: unknown) {
    const name = cmd.name.startsWith('evalsha') || cmd.name === 'eval' ? 'evalsha (script)' : cmd.name;
    byName.set(name, (byName.get(name) ?? 0) + 1);
    for (const a of cmd.args) bytes += typeof a === 'string' ? Buffer.byteLength(a) : String(a).length;
    return original.call(this, cmd, stream);
  };
  return {
    byName,
    bytes: () => bytes,
    reset: () => { byName.clear(); bytes = 0; },
    total: () => [...byName.values()].reduce((a, b) => a + b, 0),
  };
}
