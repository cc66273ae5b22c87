/**
 * The gateway's link to drachtio-server survives a server restart: readiness
 * drops while it is gone and comes back by itself (capped backoff).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createDrachtioConnection } from '../../src/sip/connection.js';
import { configSchema } from '../../src/config/schema.js';
import { findDrachtio, startDrachtio, type RunningDrachtio } from './support/drachtio-server.js';

const bin = findDrachtio();
if (!bin) console.log('SIP suite skipped: no drachtio-server binary (set DRACHTIO_BIN)');

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

describe.skipIf(!bin)('drachtio connection (inbound mode)', () => {
  it('reports not connected while drachtio-server is down and reconnects when it is back', async () => {
    let server = await startDrachtio({ bin: bin! });
    const drachtio = configSchema.shape.drachtio.parse({
      mode: 'inbound',
      port: server.adminPort,
      secret: server.secret,
      reconnectMaxMs: 500,
    });
    const connection = createDrachtioConnection(drachtio, silentLogger);
    try {
      connection.start();
      expect(await connection.whenConnected(5000)).toBe(true);
      await server.stop();
      expect(await until(() => !connection.isConnected(), 5000)).toBe(true);
      server = await startDrachtio({ bin: bin!, adminPort: server.adminPort, sipPort: server.sipPort });
      expect(await connection.whenConnected(10_000)).toBe(true);
    } finally {
      await connection.stop();
      await server.stop();
    }
    expect(connection.isConnected()).toBe(false);
  });

  it('keeps retrying when drachtio-server is not up at start, and stop ends the retries', async () => {
    const server = await startDrachtio({ bin: bin! });
    await server.stop();
    const drachtio = configSchema.shape.drachtio.parse({ port: server.adminPort, secret: server.secret, reconnectMaxMs: 300 });
    const connection = createDrachtioConnection(drachtio, silentLogger);
    let restarted: RunningDrachtio | undefined;
    try {
      connection.start();
      expect(await connection.whenConnected(800)).toBe(false);
      restarted = await startDrachtio({ bin: bin!, adminPort: server.adminPort, sipPort: server.sipPort });
      expect(await connection.whenConnected(10_000)).toBe(true);
    } finally {
      await connection.stop();
      await restarted?.stop();
    }
  });
});
