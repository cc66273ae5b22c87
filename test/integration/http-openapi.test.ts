/**
 * The OpenAPI document lists each schema once (issue 11, item 28): one
 * component per named schema, no "Input"/"Output" twins of the same shape.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('OpenAPI document', () => {
  it('has each named schema once', async () => {
    h = await startHarness();
    const spec = (await h.app.inject({ url: '/docs/json' })).json() as { components: { schemas: Record<string, unknown> } };
    const names = Object.keys(spec.components.schemas);
    expect(names).toEqual(expect.arrayContaining(['ApiError', 'Tenant', 'Quote']));
    const bases = names.map((n) => n.replace(/(Input|Output)$/, ''));
    expect(bases.filter((b, i) => bases.indexOf(b) !== i)).toEqual([]);
    expect(names.filter((n) => /(Input|Output)$/.test(n))).toEqual([]);
  });
});
