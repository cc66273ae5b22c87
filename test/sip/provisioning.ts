/**
 * Tenants, users and service numbers of the SIP suite, written through the
 * ledger API, and what a test reads back: balance and usage records.
 */
import type { Licence, ServiceNumber, Tenant, UsageRecord, User, UserPolicy } from '../../src/domain.js';
import type { Ledger } from '../../src/ledger/types.js';

let seq = 0;
export function uniqueId(prefix: string): string {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}`;
}

export async function tenantWithBalance(ledger: Ledger, balanceMicros: number): Promise<Tenant> {
  const tenant: Tenant = { id: uniqueId('t'), name: 'SIP suite tenant', currency: 'USD', country: 'US', creditLimit: 0 };
  await ledger.putTenant(tenant);
  if (balanceMicros > 0) await ledger.topUp(tenant.id, `${tenant.id}-funding`, balanceMicros, Date.now());
  return tenant;
}

export async function userOf(
  ledger: Ledger,
  tenant: Tenant,
  opts: { licences?: Licence[]; policy?: UserPolicy; plan?: string } = {},
): Promise<User> {
  const id = uniqueId('u');
  const user: User = {
    id,
    tenantId: tenant.id,
    upn: `${id}@example.test`,
    displayName: `User ${id}`,
    usageCountry: 'US',
    policy: opts.policy ?? 'international_and_domestic',
    dialOutPolicy: 'any',
    licences: opts.licences ?? ['communicationCredits'],
    ...(opts.plan ? { plan: opts.plan } : {}),
  };
  await ledger.putUser(user);
  return user;
}

export async function tollFreeNumber(ledger: Ledger, tenant: Tenant, number: string, target: string): Promise<ServiceNumber> {
  const service: ServiceNumber = { number, tenantId: tenant.id, kind: 'toll-free', service: 'conferencing', target };
  await ledger.putServiceNumber(service);
  return service;
}

export async function usageOf(ledger: Ledger, tenantId: string): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of ledger.usage(tenantId, 0, Date.now() + 3_600_000)) out.push(r);
  return out;
}

export async function balanceOf(ledger: Ledger, tenantId: string): Promise<{ balance: number; held: number }> {
  const view = await ledger.balance(tenantId, Date.now());
  return { balance: view.balance, held: view.held };
}

/** Waits until the tenant has `count` usage records (settle runs right after the last BYE). */
export async function usageSettled(ledger: Ledger, tenantId: string, count: number, timeoutMs = 5000): Promise<UsageRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await usageOf(ledger, tenantId);
    if (records.length >= count || Date.now() > deadline) return records;
    await new Promise((r) => setTimeout(r, 100));
  }
}
