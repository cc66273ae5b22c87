/**
 * The provisioning file (YAML or JSON): tenants with their opening top-up,
 * users and service numbers. Validated as a whole, every problem reported by
 * path (users[3].usageCountry: ...), and applied only when nothing is wrong.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { PlanConfig } from '../config/schema.js';
import type { ServiceNumber, Tenant, User } from '../domain.js';
import { isCurrencyCode } from '../iso-codes.js';
import { parseMoney } from '../money.js';
import type { Ledger } from './types.js';
import { amountProblem, limitsSchema, nameText, serviceNumberSchema, tenantShape, userSchema, withTenantMoneyRules } from './validate.js';

/**
 * Decimal text ("12.50") or a plain YAML number, in micros. Range and minor
 * unit are checked afterwards against the tenant's currency, by the same
 * rules the API and the ledger apply (validate.ts).
 */
const money = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseMoney(String(value));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Rule 28 limits in a file: money as decimal text (or a YAML number) of the tenant's currency. */
const fileLimits = limitsSchema.extend({ spendPerHour: money.optional(), spendPerDay: money.optional(), maxCallCharge: money.optional() });

const tenantEntry = withTenantMoneyRules(
  tenantShape
    .extend({
      creditLimit: money.default(0),
      limits: fileLimits.optional(),
      autoRecharge: z.strictObject({ threshold: money, amount: money }).optional(),
      /** Opening balance, applied once as a top-up with this reference. */
      initialBalance: z.strictObject({ amount: money, reference: nameText(200) }).optional(),
    })
    .superRefine((t, ctx) => {
      if (!t.initialBalance || typeof t.initialBalance.amount !== 'number' || typeof t.currency !== 'string' || !isCurrencyCode(t.currency)) return;
      const problem = amountProblem(t.initialBalance.amount, t.currency, true);
      if (problem) ctx.addIssue({ code: 'custom', path: ['initialBalance', 'amount'], message: problem });
    }),
);

const userEntry = userSchema.extend({
  limits: fileLimits.omit({ attemptsPerSecond: true }).optional(),
  policy: userSchema.shape.policy.default('international_and_domestic'),
  dialOutPolicy: userSchema.shape.dialOutPolicy.default('any'),
  licences: userSchema.shape.licences.default([]),
});

const fileSchema = z.strictObject({
  tenants: z.array(z.unknown()).default([]),
  users: z.array(z.unknown()).default([]),
  serviceNumbers: z.array(z.unknown()).default([]),
});

export interface ProvisioningPlan {
  tenants: Tenant[];
  topUps: Array<{ tenantId: string; reference: string; amount: number }>;
  users: User[];
  serviceNumbers: ServiceNumber[];
}

export type ParseOutcome = { ok: true; plan: ProvisioningPlan } | { ok: false; problems: string[] };

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(file)';
}

function issues(prefix: ReadonlyArray<PropertyKey>, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const what = i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.message;
    return `${pathText([...prefix, ...i.path])}: ${what}`;
  });
}

function numberOf(entry: unknown): string | undefined {
  const n = (entry as { number?: unknown } | null)?.number;
  return typeof n === 'string' ? n : undefined;
}

/**
 * YAML reads an unquoted +4930123456 as the integer 4930123456, losing the
 * "+" (and a national number's leading 0): say so, with the quoted form.
 */
function unquotedNumber(entry: unknown, where: string, problems: string[]): boolean {
  const n = (entry as { number?: unknown } | null)?.number;
  if (typeof n !== 'number') return false;
  problems.push(`${where}.number: YAML read this as the number ${n} (a "+" or leading 0 is lost); quote phone numbers: number: "+${n}"`);
  return true;
}

/** Parses and validates the file's text; cross-checks ids, numbers, tenants and plans within it. */
export function parseProvisioningFile(text: string, plans: readonly PlanConfig[]): ParseOutcome {
  // NUL and other controls, or U+FFFD from bytes that were not UTF-8: no YAML parser makes sense of them.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) {
    return { ok: false, problems: ['(file): not a text file (a binary file, or text that is not UTF-8); a provisioning file is YAML or JSON text'] };
  }
  let raw: unknown;
  try {
    // Warnings become no console noise: anything that matters fails the schema below, by path.
    raw = parseYaml(text, { logLevel: 'error' }) ?? {};
  } catch (err) {
    return { ok: false, problems: [`(file): not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: issues([], parsed.error) };
  const file = parsed.data;
  const problems: string[] = [];
  const plan: ProvisioningPlan = { tenants: [], topUps: [], users: [], serviceNumbers: [] };

  file.tenants.forEach((entry, i) => {
    const result = tenantEntry.safeParse(entry);
    if (!result.success) return problems.push(...issues(['tenants', i], result.error));
    const { initialBalance, ...tenant } = result.data;
    if (plan.tenants.some((t) => t.id === tenant.id)) problems.push(`tenants[${i}].id: "${tenant.id}" appears twice`);
    plan.tenants.push(tenant as Tenant);
    if (initialBalance) plan.topUps.push({ tenantId: tenant.id, reference: initialBalance.reference, amount: initialBalance.amount });
  });
  file.users.forEach((entry, i) => {
    if (unquotedNumber(entry, `users[${i}]`, problems)) return;
    const result = userEntry.safeParse(entry);
    if (!result.success) return problems.push(...issues(['users', i], result.error));
    const user = result.data as User;
    if (user.plan !== undefined && !plans.some((p) => p.sku === user.plan)) {
      problems.push(`users[${i}].plan: "${user.plan}" is not in the plan catalog (${plans.map((p) => p.sku).join(', ')})`);
    }
    if (plan.users.some((o) => o.tenantId === user.tenantId && o.id === user.id)) {
      problems.push(`users[${i}].id: "${user.id}" appears twice in tenant ${user.tenantId}`);
    }
    plan.users.push(user);
  });
  file.serviceNumbers.forEach((entry, i) => {
    if (unquotedNumber(entry, `serviceNumbers[${i}]`, problems)) return;
    const result = serviceNumberSchema.safeParse(entry);
    if (!result.success) return problems.push(...issues(['serviceNumbers', i], result.error));
    plan.serviceNumbers.push(result.data as ServiceNumber);
  });
  const numbers = new Map<string, string>();
  const claim = (number: string | undefined, where: string) => {
    if (!number) return;
    const first = numbers.get(number);
    if (first) problems.push(`${where}: ${number} is also used by ${first}`);
    else numbers.set(number, where);
  };
  file.users.forEach((u, i) => claim(numberOf(u), `users[${i}].number`));
  file.serviceNumbers.forEach((n, i) => claim(numberOf(n), `serviceNumbers[${i}].number`));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, plan };
}

/** Read-only checks against what Redis already holds: tenants referenced, numbers owned by others. */
export async function checkAgainstLedger(ledger: Ledger, plan: ProvisioningPlan): Promise<string[]> {
  const problems: string[] = [];
  const inFile = new Set(plan.tenants.map((t) => t.id));
  const known = new Map<string, boolean>();
  const tenantExists = async (id: string) => {
    if (inFile.has(id)) return true;
    if (!known.has(id)) known.set(id, (await ledger.getTenant(id)) !== null);
    return known.get(id)!;
  };
  for (const [i, t] of plan.tenants.entries()) {
    const existing = await ledger.getTenant(t.id);
    if (existing && existing.currency !== t.currency) {
      const view = await ledger.balance(t.id, Date.now());
      if (view.balance !== 0 || view.held !== 0) {
        problems.push(`tenants[${i}].currency: tenant ${t.id} already holds money in ${existing.currency}; its currency cannot change`);
      } else if (view.liveCalls > 0) {
        // The tenant write would be refused (CURRENCY_LOCKED) half-way through the import: refuse the whole file now.
        problems.push(`tenants[${i}].currency: tenant ${t.id} has ${view.liveCalls} live call(s); change its currency after they end`);
      }
    }
  }
  for (const [i, u] of plan.users.entries()) {
    if (!(await tenantExists(u.tenantId))) problems.push(`users[${i}].tenantId: tenant "${u.tenantId}" is neither in the file nor provisioned`);
    if (u.number) {
      const holder = await ledger.findUserByNumber(u.number);
      if (holder && (holder.tenantId !== u.tenantId || holder.id !== u.id)) {
        problems.push(`users[${i}].number: ${u.number} already belongs to user ${holder.id} of tenant ${holder.tenantId}`);
      }
      const service = await ledger.getServiceNumber(u.number);
      if (service) problems.push(`users[${i}].number: ${u.number} is a service number of tenant ${service.tenantId}`);
    }
  }
  for (const [i, n] of plan.serviceNumbers.entries()) {
    if (!(await tenantExists(n.tenantId))) problems.push(`serviceNumbers[${i}].tenantId: tenant "${n.tenantId}" is neither in the file nor provisioned`);
    const holder = await ledger.getServiceNumber(n.number);
    if (holder && holder.tenantId !== n.tenantId) {
      problems.push(`serviceNumbers[${i}].number: ${n.number} already belongs to tenant ${holder.tenantId}`);
    }
    const person = await ledger.findUserByNumber(n.number);
    if (person) problems.push(`serviceNumbers[${i}].number: ${n.number} is assigned to user ${person.id} of tenant ${person.tenantId}`);
  }
  return problems;
}

export interface ImportSummary {
  tenants: number;
  users: number;
  serviceNumbers: number;
  topUps: Array<{ tenantId: string; reference: string; applied: boolean; balanceAfter: number }>;
}

/**
 * Writes a validated plan: tenants, their opening top-ups (idempotent by
 * reference), users, service numbers. Every write is idempotent, so an
 * import interrupted by a Redis failure is completed by running it again.
 */
export async function applyProvisioning(ledger: Ledger, plan: ProvisioningPlan, nowMs: number): Promise<ImportSummary> {
  const summary: ImportSummary = { tenants: 0, users: 0, serviceNumbers: 0, topUps: [] };
  for (const t of plan.tenants) {
    await ledger.putTenant(t);
    summary.tenants++;
  }
  for (const t of plan.topUps) {
    const r = await ledger.topUp(t.tenantId, t.reference, t.amount, nowMs);
    summary.topUps.push({ tenantId: t.tenantId, reference: t.reference, applied: r.applied, balanceAfter: r.balanceAfter });
  }
  for (const u of plan.users) {
    await ledger.putUser(u);
    summary.users++;
  }
  for (const n of plan.serviceNumbers) {
    await ledger.putServiceNumber(n);
    summary.serviceNumbers++;
  }
  return summary;
}
