/**
 * Kamailio suite on the HTTP transport (http_client: POST /v1/control/...),
 * which other platforms and Kamailio configs without evapi use: a credit
 * call charged exactly and a refusal with the same code and SIP answer as
 * over evapi. (The rest of the suite runs over evapi.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { USD_CENT, finalResponse } from '../sip/support/sip-messages.js';
import { balanceOf, tenantWithBalance, usageOf, usageSettled, userOf } from '../sip/provisioning.js';
import { kamailioSuite, startCarrier } from './support/world.js';

describe('SIP through Kamailio over HTTP (http_client)', () => {
  const suite = kamailioSuite('kamh', { transport: 'http' });

  it('allows a credit call and charges exactly one 60/60 minute', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 1_000_000);
    const user = await userOf(suite.world.ledger, tenant);
    const carrier = await startCarrier('uas-answer.xml', suite.world.ports.carrier);
    const result = await suite.bridgeCall('uac-outbound-answered.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const seen = await carrier.stop();
    expect(result.errors).toBe('');
    expect(result.successful).toBe(1);
    expect(seen.messages).not.toMatch(/X-Tollgate-/i);
    const [record] = await usageSettled(suite.world.ledger, tenant.id, 1);
    expect(record).toMatchObject({ destinationNumber: '+12125550100', charge: USD_CENT, endReason: 'caller_hangup' });
    expect(await balanceOf(suite.world.ledger, tenant.id)).toEqual({ balance: 1_000_000 - USD_CENT, held: 0 });
    // No evapi in this Kamailio: the questions came over HTTP.
    expect(suite.world.transport).toBe('http');
    expect(readFileSync(suite.world.kamailio.dir + '/tollgate-local.cfg', 'utf8')).not.toMatch(/TOLLGATE_EVAPI_BIND/);
  });

  it('refuses a credit call at zero balance with 402 and the reason header', async () => {
    const tenant = await tenantWithBalance(suite.world.ledger, 0);
    const user = await userOf(suite.world.ledger, tenant);
    const result = await suite.bridgeCall('uac-outbound-rejected.xml', '2125550100', { tenant: tenant.id, user: user.id });
    const final = finalResponse(result);
    expect(final?.status).toBe(402);
    expect(final?.text).toMatch(/^X-Tollgate-Reason: NO_FUNDS/m);
    expect((await usageOf(suite.world.ledger, tenant.id)).filter((r) => r.charge !== 0)).toEqual([]);
  });
});
