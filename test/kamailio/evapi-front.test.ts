/**
 * Tollgate's side of the evapi transport without Kamailio: the netstring
 * decoder over split and garbled chunks, and the evapi front against a fake
 * Kamailio socket: hello with the instance id and token, garbage and unknown
 * events logged and dropped without losing the connection or the next
 * message, and a decision sent back with the transaction's ids.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { ControlFront, PlatformDecision, PlatformSetup, PlatformVia } from '../../src/kamailio/control-front.js';
import { startEvapiFront } from '../../src/kamailio/evapi-front.js';
import { createNetstringDecoder, encodeNetstring } from '../../src/kamailio/netstring.js';
import { silentLogger } from '../../src/log.js';

describe('netstring framing', () => {
  it('yields whole frames from split chunks, skips garbage, keeps UTF-8 lengths in bytes', () => {
    const frames: string[] = [];
    const garbage: string[] = [];
    const d = createNetstringDecoder((f) => frames.push(f), (g) => garbage.push(g));
    const all = Buffer.from(`${encodeNetstring('{"a":1}')}xx:junk,${encodeNetstring('{"é":"ü"}')}5:abcdefg,${encodeNetstring('{}')}`);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    expect(frames).toEqual(['{"a":1}', '{"é":"ü"}', '{}']);
    // Split garbage is reported as it comes; whole, each piece once.
    expect(garbage.length).toBeGreaterThanOrEqual(2);
    expect(d.pending).toBe(0);
    const whole: string[] = [];
    const wholeGarbage: string[] = [];
    createNetstringDecoder((f) => whole.push(f), (g) => wholeGarbage.push(g)).push(all);
    expect(whole).toEqual(frames);
    expect(wholeGarbage).toEqual(['xx:junk,', '5:abcdefg,']);
  });
});

describe('evapi front against a fake Kamailio', () => {
  let server: Server | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('says hello, survives garbage, answers an authorize with its decision and reports ends to the front', async () => {
    const received: string[] = [];
    let kamailio: Socket | undefined;
    server = createServer((s) => {
      kamailio = s;
      const d = createNetstringDecoder((f) => received.push(f), () => undefined);
      s.on('data', (c: Buffer) => d.push(c));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const authorized: Array<[PlatformSetup, PlatformVia | undefined]> = [];
    const ended: Array<[string, string]> = [];
    const front = {
      async authorize(setup: PlatformSetup, via?: PlatformVia): Promise<PlatformDecision> {
        authorized.push([setup, via]);
        return { decision: 'refuse', code: 'NO_FUNDS', status: 402, phrase: 'Payment Required', message: 'no funds', sipHeaders: 'X-Tollgate-Reason: NO_FUNDS\r\n' };
      },
      async ended(token: string, reason: string) {
        ended.push([token, reason]);
        return true;
      },
      async answered() {
        return { keep: true as const };
      },
      callsVia: () => [],
      endLost: async () => false,
    } as unknown as ControlFront;
    const config = configSchema.parse({ http: { adminToken: 'front-test-admin-token' }, kamailio: { controlToken: 'front-test-control-token', evapi: [{ host: '127.0.0.1', port }], reconcileIntervalMs: 60_000 } });
    const evapi = startEvapiFront({ config, front, logger: silentLogger, instanceId: 'unit test/1' });
    stop = () => evapi.stop();
    const until = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(check()).toBe(true);
    };
    await until(() => received.length > 0);
    expect(JSON.parse(received[0]!)).toEqual({ event: 'hello', instance: 'unit-test-1', token: 'front-test-control-token' });
    kamailio!.write(encodeNetstring(JSON.stringify({ event: 'welcome', slot: 0 })));
    await until(() => evapi.status().up === 1);
    // Garbage of every kind, then real events in the same chunk.
    kamailio!.write(
      'zz:nonsense,' +
        encodeNetstring('{not json') +
        encodeNetstring('[1,2]') +
        encodeNetstring(JSON.stringify({ event: 'surprise' })) +
        encodeNetstring(JSON.stringify({ event: 'authorize', tindex: 7 })) +
        encodeNetstring(JSON.stringify({ event: 'ended', token: 'tok', reason: 'not-a-reason' })) +
        encodeNetstring(JSON.stringify({ event: 'authorize', tindex: 7, tlabel: 9, call: { callId: 'c1' } })) +
        encodeNetstring(
          JSON.stringify({
            event: 'authorize',
            tindex: 12,
            tlabel: 34,
            call: { callId: 'c2', sourceAddress: '127.0.0.1', sourcePort: 5060, requestUri: 'sip:2125550100@127.0.0.1', headers: { 'X-Tollgate-Tenant': 't1' } },
          }),
        ) +
        encodeNetstring(JSON.stringify({ event: 'ended', token: 'tok', reason: 'caller_hangup' })),
    );
    await until(() => received.length >= 3 && ended.length === 1);
    const replies = received.slice(1).map((r) => JSON.parse(r) as Record<string, unknown>);
    // The malformed setup is answered (Kamailio then refuses 503 at once instead of waiting), the good one with the decision.
    expect(replies).toEqual([
      { event: 'decision', tindex: 7, tlabel: 9, decision: 'error', message: 'not a call setup' },
      { event: 'decision', tindex: 12, tlabel: 34, decision: 'refuse', code: 'NO_FUNDS', status: 402, phrase: 'Payment Required', message: 'no funds', sipHeaders: 'X-Tollgate-Reason: NO_FUNDS\r\n' },
    ]);
    expect(authorized).toHaveLength(1);
    expect(authorized[0]![1]).toEqual({ rpcUrl: 'http://127.0.0.1:5071/RPC', link: `127.0.0.1:${port}` });
    expect(ended).toEqual([['tok', 'caller_hangup']]);
    expect(evapi.status().up).toBe(1);
  });
});
