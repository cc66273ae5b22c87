/**
 * Kamailio suite, Tollgate out of reach, on both transports: with no Tollgate
 * connected over evapi, or nothing listening on the HTTP control URL, the
 * shipped config refuses every call with 503, X-Tollgate-Reason UNAVAILABLE
 * and Retry-After (fail closed), never relays it unbilled; with
 * TOLLGATE_FAIL_OPEN it relays the call unbilled to that URI instead.
 */
import { describe, expect, it } from 'vitest';
import { finalResponse } from '../sip/support/sip-messages.js';
import { tenantWithBalance, usageOf, userOf } from '../sip/provisioning.js';
import { kamailioSuite, startCarrier } from './support/world.js';

for (const transport of ['evapi', 'http'] as const) {
  describe(`Kamailio (${transport}) when Tollgate is unreachable`, () => {
    const suite = kamailioSuite(`kamf${transport[0]}`, { noTollgate: true, transport });

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

  describe(`Kamailio (${transport}) failing open when Tollgate is unreachable`, () => {
    const suite = kamailioSuite(`kamo${transport[0]}`, { noTollgate: true, transport, failOpen: true });

    it('relays the call unbilled to TOLLGATE_FAIL_OPEN, without the internal headers', async () => {
      const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
      const user = await userOf(suite.world.ledger, tenant);
      const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
      const result = await suite.bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id });
      const seen = await carrier.stop();
      expect(result.errors).toBe('');
      expect(result.successful).toBe(1);
      expect(seen.messages).not.toMatch(/X-Tollgate-/i);
      expect((await suite.world.ledger.balance(tenant.id, Date.now())).balance).toBe(1_000_000);
      expect(await usageOf(suite.world.ledger, tenant.id)).toEqual([]);
    });
  });
}
