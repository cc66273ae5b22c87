/**
 * Kamailio suite, fail closed: when Kamailio cannot reach Tollgate (nothing
 * listens on its control URL), the shipped config refuses every call with
 * 503, X-Tollgate-Reason UNAVAILABLE and Retry-After, never relays it unbilled.
 */
import { describe, expect, it } from 'vitest';
import { finalResponse } from '../sip/support/sip-messages.js';
import { tenantWithBalance, usageOf, userOf } from '../sip/provisioning.js';
import { kamailioSuite } from './support/world.js';

describe('Kamailio when Tollgate is unreachable', () => {
  const suite = kamailioSuite('kamf', { noTollgate: true });

  it('refuses calls with 503 UNAVAILABLE and Retry-After, charging nothing', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const result = await suite.bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const final = finalResponse(result);
    expect(final?.status).toBe(503);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: UNAVAILABLE/m);
    expect(final?.text).toMatch(/^Retry-After: 7/m);
    expect((await suite.world.ledger.balance(tenant.id, Date.now())).balance).toBe(1_000_000);
    expect(await usageOf(suite.world.ledger, tenant.id)).toEqual([]);
  });
});
