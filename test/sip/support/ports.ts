/**
 * Loopback ports for SIP peers: free for both UDP and TCP, and claimed in a
 * shared directory so parallel test processes never pick the same one (sipp and
 * drachtio-server bind them later, after the OS could have handed them out again).
 */
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/redis-server.js';

const CLAIMS = join(tmpdir(), 'tollgate-sip-ports');

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims the port for this process; a claim of a process that has exited is taken over. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner === process.pid || alive(owner)) return false;
    writeFileSync(file, String(process.pid));
    return true;
  }
}

export async function freeSipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if ((await udpFree(port)) && claim(port)) return port;
  }
  throw new Error('no free loopback port for SIP after 50 tries');
}
