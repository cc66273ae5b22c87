/**
 * Lookups shared by the admin API's routes: a missing tenant is a 404 with
 * a message naming it.
 */
import type { Tenant } from '../../domain.js';
import type { Ledger } from '../../ledger/types.js';
import { notFound } from '../errors.js';

export function tenantLookup(ledger: Pick<Ledger, 'getTenant'>): (tenantId: string) => Promise<Tenant> {
  return async (tenantId) => {
    const tenant = await ledger.getTenant(tenantId);
    if (!tenant) throw notFound(`tenant "${tenantId}"`);
    return tenant;
  };
}
