/**
 * The log censor against pino's own redact option as the reference: for any
 * fields (secrets at any depth, in headers, requests, responses, arrays), a
 * line written by Tollgate's logger equals the line pino's redaction of
 * REDACTED_PATHS writes — and a line without secrets is not copied at all.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { censorSecrets, createLogger, REDACTED_PATHS } from '../../src/log.js';

function capture(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  return { lines, sink: new Writable({ write: (c, _e, done) => { lines.push(String(c)); done(); } }) };
}

const KEYS = ['password', 'apiKey', 'csrfToken', 'cookie', 'headers', 'req', 'res', 'authorization', 'set-cookie', 'x-csrf-token', 'body', 'name', 'err'];
const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }));
const fields = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5, noNullPrototype: true })),
})).node;
const topFields = fc.dictionary(fc.constantFrom(...KEYS), fields, { maxKeys: 6, noNullPrototype: true });

describe('log censor', () => {
  it('writes what pino redact of REDACTED_PATHS writes, for any fields and child bindings', () => {
    fc.assert(
      fc.property(topFields, topFields, (line, bindings) => {
        const ours = capture();
        const reference = capture();
        const options = { base: null, timestamp: false } as const;
        createLogger({ destination: ours.sink }).child(bindings).info(line, 'x');
        pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, reference.sink).child(bindings).info(line, 'x');
        const strip = (text: string) => {
          const { time: _t, pid: _p, name: _n, ...rest } = JSON.parse(text) as Record<string, unknown>;
          return rest;
        };
        expect(strip(ours.lines[0]!)).toEqual(strip(reference.lines[0]!));
      }),
      { numRuns: 400 },
    );
  });

  it('leaves a clean line untouched (no copy) and never changes the caller\'s object', () => {
    const clean = { callId: 'c1', decision: 'allow', dialed: '+447700900123', nested: { a: 1 } };
    expect(censorSecrets(clean)).toBe(clean);
    const dirty = { callId: 'c1', headers: { authorization: 'Bearer x', accept: '*/*' } };
    const out = censorSecrets(dirty);
    expect(out).toEqual({ callId: 'c1', headers: { authorization: '[redacted]', accept: '*/*' } });
    expect(dirty.headers.authorization).toBe('Bearer x');
  });
});
