/**
 * A raw evapi client for the Kamailio suite: says hello as some instance and
 * sends whatever a test wants (garbage, silence), the way a misbehaving or
 * stuck Tollgate would.
 */
import { connect, type Socket } from 'node:net';
import { encodeNetstring } from '../../../src/kamailio/netstring.js';

export interface RawEvapiClient {
  /** Everything Kamailio sent so far (netstrings, undecoded). */
  readonly received: string;
  write(bytes: string): void;
  send(message: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** Connects and, with hello, says hello as instanceId and waits for Kamailio's welcome. */
export async function rawEvapiClient(port: number, hello?: { instance: string; token: string }): Promise<RawEvapiClient> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const client: RawEvapiClient = {
    get received() {
      return received;
    },
    write: (bytes) => void socket.write(bytes),
    send: (message) => void socket.write(encodeNetstring(JSON.stringify(message))),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.closed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      }),
  };
  if (hello) {
    client.send({ event: 'hello', ...hello });
    const deadline = Date.now() + 5000;
    while (!received.includes('"welcome"')) {
      if (Date.now() > deadline) throw new Error(`no evapi welcome for ${hello.instance}: got ${received.slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return client;
}
