/**
 * SIP benchmark: sipp drives calls at a fixed rate for a fixed time through
 * drachtio-server, first into the Tollgate gateway (billing every call), then into a
 * bare drachtio-srf B2BUA with no billing, and prints both and their ratio.
 *
 *   DRACHTIO_BIN=/path/to/drachtio npx tsx bench/sip-throughput.ts [--rate 50] [--seconds 20] [--hold-ms 1000]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { findDrachtio, hasSipp, startDrachtio } from '../test/sip/support/drachtio-server.js';
import { startSipWorld } from '../test/sip/support/harness.js';
import { runUac, startUas, type SippResult } from '../test/sip/support/sipp.js';
import { tenantWithBalance, userOf } from '../test/sip/provisioning.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { freeSipPort } from '../test/sip/support/ports.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    'hold-ms': { type: 'string', default: '1000' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const holdMs = Number(values['hold-ms']);
const calls = rate * seconds;

interface Figures {
  name: string;
  successful: number;
  failed: number;
  wallSeconds: number;
  callsPerSecond: number;
  pddMeanMs: number | undefined;
  gatewayPddMeanMs?: number;
}

/** Mean of sipp's "pdd" response time (INVITE sent to 180 received), cumulative, from its stats CSV. */
function pddMean(result: SippResult): number | undefined {
  const lines = result.stats.trim().split('\n').filter((l) => l.includes(';'));
  if (lines.length < 2) return undefined;
  const header = lines[0]!.split(';');
  const col = header.findIndex((h) => /^ResponseTimepdd\(C\)$/.test(h));
  const cell = col >= 0 ? lines.at(-1)!.split(';')[col] : undefined;
  if (!cell) return undefined;
  // sipp writes "HH:MM:SS:uuuuuu" (microseconds last)
  const parts = cell.split(':').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  return ((parts[0]! * 60 + parts[1]!) * 60 + parts[2]!) * 1000 + parts[3]! / 1000;
}

async function drive(name: string, target: number, localPort: number, keys: Record<string, string>): Promise<Figures> {
  const started = Date.now();
  const result = await runUac({
    scenario: 'uac-bench-answered.xml',
    target,
    localPort,
    dialed: '2125550100',
    keys,
    calls,
    rate,
    limit: Math.max(100, rate * Math.ceil(holdMs / 1000) * 4),
    durationMs: holdMs,
    timeoutSeconds: seconds + 60,
    traceMessages: false,
    stats: true,
  });
  const wallSeconds = (Date.now() - started) / 1000;
  // The send phase is what the rate applies to; the last calls' hold time comes after it.
  const sendSeconds = Math.max(wallSeconds - holdMs / 1000, 0.001);
  return {
    name,
    successful: result.successful,
    failed: result.failed,
    wallSeconds,
    callsPerSecond: result.successful / sendSeconds,
    pddMeanMs: pddMean(result),
  };
}

async function main(): Promise<number> {
  const bin = findDrachtio();
  if (!bin || !hasSipp()) {
    process.stderr.write('sip-throughput: needs drachtio-server (DRACHTIO_BIN or PATH) and sipp\n');
    return 2;
  }
  process.stdout.write(`SIP throughput: ${rate} calls/s for ${seconds} s (${calls} calls), each held ${holdMs} ms\n`);
  const redis = await startRedisServer();
  const results: Figures[] = [];
  try {
    // 1. Tollgate: every call identified, rated, held, metered and settled in Redis.
    const world = await startSipWorld({ drachtioBin: bin, redisUrl: redis.url, keyPrefix: 'bench', logLevel: 'warn' });
    try {
      const tenant = await tenantWithBalance(world.ledger, 1_000_000_000_000);
      const user = await userOf(world.ledger, tenant);
      const carrier = await startUas('uas-answer.xml', world.ports.carrier, 1000, false);
      const figures = await drive('tollgate', world.drachtio.sipPort, world.ports.bridge, { tenant: tenant.id, user: user.id });
      await carrier.stop();
      const sum = await world.metric('tollgate_sip_post_dial_delay_seconds_sum');
      const count = await world.metric('tollgate_sip_post_dial_delay_seconds_count');
      if (count > 0) figures.gatewayPddMeanMs = (sum / count) * 1000;
      results.push(figures);
    } finally {
      await world.stop();
    }

    // 2. Baseline: the same drachtio-server path through a B2BUA that bills nothing.
    const drachtio = await startDrachtio({ bin });
    const carrierPort = await freeSipPort();
    const bridgePort = await freeSipPort();
    const carrier = await startUas('uas-answer.xml', carrierPort, 1000, false);
    const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/sip-bare-b2bua.ts', String(drachtio.adminPort), drachtio.secret, `sip:127.0.0.1:${carrierPort}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        bare.stdout.on('data', (c: Buffer) => c.toString().includes('connected') && resolve());
        bare.once('exit', (code) => reject(new Error(`bare b2bua exited ${code}`)));
      });
      results.push(await drive('bare drachtio-srf B2BUA', drachtio.sipPort, bridgePort, {}));
    } finally {
      bare.kill('SIGTERM');
      await carrier.stop();
      await drachtio.stop();
    }
  } finally {
    await redis.stop();
  }

  const fmt = (n: number | undefined, d = 1) => (n === undefined ? 'n/a' : n.toFixed(d));
  process.stdout.write('\n| B2BUA | calls ok | failed | calls/s sustained | post-dial delay, caller (ms, INVITE→180) | gateway PDD (ms, INVITE in→out) |\n|---|---|---|---|---|---|\n');
  for (const f of results) {
    process.stdout.write(`| ${f.name} | ${f.successful} | ${f.failed} | ${fmt(f.callsPerSecond)} | ${fmt(f.pddMeanMs, 2)} | ${fmt(f.gatewayPddMeanMs, 2)} |\n`);
  }
  const [gw, base] = results;
  if (gw && base && base.callsPerSecond > 0) {
    process.stdout.write(
      `\nratio tollgate / bare: throughput ${(gw.callsPerSecond / base.callsPerSecond).toFixed(2)}` +
        (gw.pddMeanMs !== undefined && base.pddMeanMs ? `, post-dial delay ${(gw.pddMeanMs / base.pddMeanMs).toFixed(2)}x` : '') +
        '\n',
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sip-throughput: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
