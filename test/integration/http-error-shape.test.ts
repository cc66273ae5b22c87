/**
 * One error body everywhere (issue 11, item 17): fastify's own refusals
 * (413, 414, 415, bad JSON, a __proto__ key) answer { error, message } with a
 * stable code of the API's vocabulary, never an FST_ERR_* code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const put = (headers: Record<string, string>, payload: string) =>
  h!.app.inject({ method: 'PUT', url: '/v1/tenants/acme', headers: { ...auth, ...headers }, payload });

describe('error bodies', () => {
  it('a body too large is 413 PAYLOAD_TOO_LARGE', async () => {
    h = await startHarness();
    const r = await put({ 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(70_000) }));
    expect(r.statusCode).toBe(413);
    expect(r.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('65536 bytes') });
  });

  it('a content type other than JSON is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    h = await startHarness();
    const r = await put({ 'content-type': 'application/xml' }, '<tenant/>');
    expect(r.statusCode).toBe(415);
    expect(r.json()).toEqual({ error: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/json') });
  });

  it('a URL too long is 414 URI_TOO_LONG', async () => {
    h = await startHarness();
    const r = await h.app.inject({ url: `/v1/tenants/${'a'.repeat(120_000)}`, headers: auth });
    expect(r.statusCode).toBe(414);
    expect(r.json()).toMatchObject({ error: 'URI_TOO_LONG' });
  });

  it('a __proto__ key is named as such, not reported as invalid JSON', async () => {
    h = await startHarness();
    const r = await put({ 'content-type': 'application/json' }, '{"name":"Acme","currency":"EUR","country":"DE","__proto__":{"x":1}}');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: 'BAD_REQUEST',
      message: 'invalid request: __proto__: a key named "__proto__" or "constructor" is not allowed',
      fields: [{ path: '__proto__', message: 'a key named "__proto__" or "constructor" is not allowed' }],
    });
  });

  it('malformed JSON is 400 BAD_REQUEST with a field entry', async () => {
    h = await startHarness();
    const r = await put({ 'content-type': 'application/json' }, '{"name":');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'BAD_REQUEST', fields: [{ path: '', message: expect.stringContaining('not valid JSON') }] });
  });
});
