/**
 * The JSON body parser: fastify's default one reports a "__proto__" key as
 * "not valid JSON"; this one names the key as a bad field, and reports
 * malformed JSON in the API's own words.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, HttpError } from './errors.js';

/** Keys that would reach an object's prototype if a body were merged into one. */
function forbiddenKey(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '__proto__') return here;
    if (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child) return here;
    const deeper = forbiddenKey(child, here);
    if (deeper) return deeper;
  }
  return undefined;
}

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return done(new HttpError(400, 'BAD_REQUEST', `the body is not valid JSON: ${(err as Error).message}`, [
        { path: '', message: `not valid JSON: ${(err as Error).message}` },
      ]), undefined);
    }
    const key = forbiddenKey(parsed, '');
    if (key) return done(badRequest([{ path: key, message: 'a key named "__proto__" or "constructor" is not allowed' }]), undefined);
    return done(null, parsed);
  });
}
