import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ownString } from '../../src/sip/dialog-memory.js';

const run = promisify(execFile);
const PROBE = join(import.meta.dirname, '..', 'support', 'dialog-memory-probe.ts');

interface ProbeResult {
  before: unknown;
  after: unknown;
  filed: boolean[];
  setupObjectsAlive: number;
  messageText: { strings: number; longest: number };
}

async function probe(release: boolean): Promise<ProbeResult> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE], {
    env: { ...process.env, RELEASE: release ? '1' : '0' },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

describe('an answered call lets go of its setup messages', () => {
  it('keeps neither the four messages nor any string of their text, and its dialogs read the same', async () => {
    const [kept, released] = await Promise.all([probe(false), probe(true)]);
    // As drachtio-srf leaves them: the requests, responses and messages live on, and with them the raw text.
    expect(kept.setupObjectsAlive).toBeGreaterThan(0);
    expect(kept.messageText.strings).toBeGreaterThanOrEqual(4);
    // Released: nothing of them survives a full collection.
    expect(released.setupObjectsAlive).toBe(0);
    expect(released.messageText).toEqual({ strings: 0, longest: 0 });
    // The dialogs say the same of themselves (id, method, socket, tags, Call-ID, contacts, URIs, SDP)
    // and srf still finds each by its id, which every in-dialog request is routed by.
    expect(released.after).toEqual(released.before);
    expect(released.filed).toEqual([true, true]);
  }, 90_000);

  it('gives an equal string, short, long or not ASCII', () => {
    const text = `INVITE sip:+442079460000@127.0.0.1 SIP/2.0\r\nCall-ID: ${'x'.repeat(40)}@host\r\n`;
    const slice = text.slice(text.indexOf('Call-ID: ') + 9, text.indexOf('\r\n', 50));
    const copy = ownString(slice);
    expect(copy).toBe(slice);
    expect(ownString('short')).toBe('short');
    expect(ownString(undefined)).toBeUndefined();
    expect(ownString('caf\u00e9 \u{1F4DE} unicode text')).toBe('caf\u00e9 \u{1F4DE} unicode text');
  });
});
