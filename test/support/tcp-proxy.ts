/**
 * A TCP proxy on a free loopback port in front of a real server (Redis): a
 * test cuts one client off from the server (connections dropped, new ones
 * refused) while other clients keep reaching it directly, then restores it.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Replies swallowed so far. */
  readonly dropped: number;
  /** Swallows the server's next reply and then drops that connection (a reply lost on the way back). */
  dropNextReply(): void;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, scheme = 'redis'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let dropping = false;
  let dropped = 0;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (dropping) {
        dropping = false;
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const dropAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    get dropped() {
      return dropped;
    },
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    dropNextReply() {
      dropping = true;
    },
    cut() {
      open = false;
      dropAll();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
