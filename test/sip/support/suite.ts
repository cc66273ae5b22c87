/**
 * One SIP world per test file: started before its tests, stopped after them,
 * with every sipp peer stopped after each test, and a bridge-side caller.
 */
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { startSipWorld, type SipWorld } from './harness.js';
import { runUac, stopAllSipp } from './sipp.js';

type UacOptions = Parameters<typeof runUac>[0];

export interface SipSuite {
  /** The running world; only inside tests and hooks. */
  readonly world: SipWorld;
  /** A call from the configured bridge into drachtio-server. */
  bridgeCall(scenario: string, dialed: string, keys: Record<string, string>, extra?: Partial<UacOptions>): ReturnType<typeof runUac>;
}

export function sipSuite(drachtioBin: string, keyPrefix: string): SipSuite {
  let world: SipWorld | undefined;
  beforeAll(async () => {
    world = await startSipWorld({ drachtioBin, redisUrl: inject('redisUrl'), keyPrefix: `${keyPrefix}${process.pid}` });
  });
  afterAll(async () => {
    await world?.stop();
  });
  // A test that failed half-way must not leave a sipp peer on its port for the next one.
  afterEach(() => stopAllSipp());
  const suite: SipSuite = {
    get world() {
      if (!world) throw new Error('the SIP world is not running (used outside a test?)');
      return world;
    },
    bridgeCall: (scenario, dialed, keys, extra = {}) =>
      runUac({ scenario, target: suite.world.drachtio.sipPort, localPort: suite.world.ports.bridge, dialed, keys, ...extra }),
  };
  return suite;
}
