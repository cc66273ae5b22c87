/**
 * Tenants, users and service numbers in Redis. Tenant data is written by one
 * script per change; the global lookups (tenant set, number -> user, service
 * number -> tenant) are written after it with single-key commands, and every
 * reader verifies a lookup against the tenant's own record, so a stale or
 * missing index entry is never trusted.
 */
import { Cluster } from 'ioredis';
import type { ServiceNumber, Tenant, User } from '../domain.js';
import { formatMoney, microsPerMinorUnit } from '../money.js';
import { ScriptCode } from './codes.js';
import { execPipeline } from './connection.js';
import { replyCode, type LedgerContext } from './context.js';
import { LedgerError, scriptFailure } from './errors.js';
import type { DeleteTenantOptions, PayerReadOptions, PayerSnapshot } from './types.js';
import { check, checkE164, checkTenantId, serviceNumberSchema, tenantSchema, userIdSchema, userSchema } from './validate.js';
import { merged } from '../objects.js';

export async function putTenant(ctx: LedgerContext, input: Tenant): Promise<void> {
  const tenant = check(tenantSchema, input, 'tenant');
  const k = ctx.keys(tenant.id);
  const reply = await ctx.guard.run('put_tenant', () =>
    ctx.scripts.run('put_tenant', [k.tenant, k.account, k.leases], [
      JSON.stringify(tenant),
      tenant.currency,
      microsPerMinorUnit(tenant.currency),
      tenant.creditLimit,
      tenant.autoRecharge ? tenant.autoRecharge.threshold : '',
    ]),
  );
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('put tenant', replyCode(reply), tenant.id);
  ctx.directory.dropTenant(tenant.id);
  await ctx.guard.run('put_tenant', () => ctx.client.sadd(ctx.global.tenants, tenant.id));
  // Recovery and the outbox look only in slots that hold tenants.
  await ctx.guard.run('put_tenant', () => ctx.client.sadd(ctx.global.slots, String(k.slot)));
}

export async function getTenant(ctx: LedgerContext, tenantId: string): Promise<Tenant | null> {
  checkTenantId(tenantId);
  const json = await ctx.guard.run('get_tenant', () => ctx.client.get(ctx.keys(tenantId).tenant));
  return json ? (JSON.parse(json) as Tenant) : null;
}

export async function listTenants(ctx: LedgerContext): Promise<string[]> {
  const ids = await ctx.guard.run('list_tenants', () => ctx.client.smembers(ctx.global.tenants));
  const exists = await readEach(ctx, 'list_tenants', 'exists', ids.map((id) => ctx.keys(id).tenant));
  return ids.filter((_, i) => exists[i] === 1).sort();
}

/** Tenant records in one batched read, in the order of `tenantIds`; ids with no tenant are left out. */
export async function getTenants(ctx: LedgerContext, tenantIds: readonly string[]): Promise<Tenant[]> {
  for (const id of tenantIds) checkTenantId(id);
  const values = await readEach(ctx, 'get_tenants', 'get', tenantIds.map((id) => ctx.keys(id).tenant));
  return values.filter((v): v is string => typeof v === 'string').map((json) => JSON.parse(json) as Tenant);
}

/**
 * One single-key read per key in one round trip: a pipeline on a single Redis.
 * A Cluster pipeline must stay on one node and tenants spread over all of
 * them, so there the reads go out together and ioredis routes each one.
 */
async function readEach(ctx: LedgerContext, operation: string, command: 'get' | 'exists', keys: string[]): Promise<unknown[]> {
  if (keys.length === 0) return [];
  return ctx.guard.run(operation, () => {
    const client = ctx.client;
    if (client instanceof Cluster) return Promise.all(keys.map((k) => client[command](k)));
    const pipeline = client.pipeline();
    for (const k of keys) pipeline[command](k);
    return execPipeline(pipeline);
  });
}

/**
 * Deletes a tenant. `ifUnused` refuses (TENANT_BUSY) while it still has money
 * or usage records; `keepTopUps` leaves its top-up references behind, so a
 * re-created tenant is never credited twice by an old reference. Live calls
 * always refuse: their holds must settle first.
 */
export async function deleteTenant(ctx: LedgerContext, tenantId: string, opts: DeleteTenantOptions = {}): Promise<boolean> {
  checkTenantId(tenantId);
  const k = ctx.keys(tenantId);
  for (let attempt = 0; attempt < 3; attempt++) {
    const poolKeys = await ctx.guard.run('delete_tenant', () => ctx.client.hkeys(k.poolRegistry));
    const reply = await ctx.guard.run('delete_tenant', () =>
      ctx.scripts.run(
        'delete_tenant',
        [k.tenant, k.account, k.users, k.counts, k.numbers, k.leases, k.topUps, k.usage, k.poolRegistry, ...poolKeys],
        [opts.ifUnused ? '1' : '', opts.keepTopUps ? '1' : ''],
      ),
    );
    const code = replyCode(reply);
    if (code === ScriptCode.KEYS_MISMATCH) continue;
    if (code === ScriptCode.TENANT_BUSY) throw tenantInUse(tenantId, reply);
    if (code !== ScriptCode.OK) throw scriptFailure('delete tenant', code, tenantId);
    ctx.directory.dropTenant(tenantId);
    const userNumbers = (reply[2] as string[]) ?? [];
    const serviceNumbers = (reply[3] as string[]) ?? [];
    for (let i = 0; i + 1 < userNumbers.length; i += 2) {
      await clearIndex(ctx, ctx.global.userByNumber(userNumbers[i]!), JSON.stringify([tenantId, userNumbers[i + 1]]));
    }
    for (const n of serviceNumbers) await clearIndex(ctx, ctx.global.serviceNumber(n), tenantId);
    await ctx.guard.run('delete_tenant', () => ctx.client.srem(ctx.global.tenants, tenantId));
    return Number(reply[1]) === 1;
  }
  throw new LedgerError('TENANT_BUSY', `delete tenant: tenant ${tenantId}'s pools kept changing; retry`);
}

function tenantInUse(tenantId: string, reply: unknown[]): LedgerError {
  const live = Number(reply[1] ?? 0);
  if (live > 0) return new LedgerError('TENANT_BUSY', `delete tenant: tenant ${tenantId} has ${live} live call(s); retry when they have ended`);
  const balance = Number(reply[2] ?? 0);
  const usage = Number(reply[3] ?? 0);
  const currency = String(reply[4] ?? '');
  const what = [
    ...(balance !== 0 ? [`balance ${formatMoney(balance, currency)} ${currency}`] : []),
    ...(usage > 0 ? [`${usage} usage record(s)`] : []),
  ];
  return new LedgerError('TENANT_BUSY', `delete tenant: tenant ${tenantId} still has ${what.join(' and ')}; export what you need, then delete with force=true`);
}

async function clearIndex(ctx: LedgerContext, key: string, expected: string): Promise<void> {
  await ctx.guard.run('clear_index', () => ctx.scripts.run('del_if_equal', [key], [expected]));
}

function checkPlan(ctx: LedgerContext, user: User): void {
  if (user.plan !== undefined && !ctx.plans.some((p) => p.sku === user.plan)) {
    throw new LedgerError(
      'BAD_INPUT',
      `invalid user ${user.id}: plan "${user.plan}" is not in the plan catalog (config plans: ${ctx.plans.map((p) => p.sku).join(', ')})`,
    );
  }
}

export async function putUser(ctx: LedgerContext, input: User): Promise<void> {
  const user = check(userSchema, input, 'user');
  checkPlan(ctx, user);
  const k = ctx.keys(user.tenantId);
  const owner = JSON.stringify([user.tenantId, user.id]);
  if (user.number) {
    const holder = await findUserByNumber(ctx, user.number);
    if (holder && (holder.tenantId !== user.tenantId || holder.id !== user.id)) {
      throw new LedgerError('NUMBER_TAKEN', `${user.number} is already assigned to user ${holder.id} of tenant ${holder.tenantId}`);
    }
    // A number is a person's or a service's, never both: an inbound call could not tell which.
    const service = await getServiceNumber(ctx, user.number);
    if (service) throw new LedgerError('NUMBER_TAKEN', `${user.number} is a service number of tenant ${service.tenantId}`);
  }
  const reply = await ctx.guard.run('put_user', () =>
    ctx.scripts.run('put_user', [k.tenant, k.users, k.counts, k.account], [user.id, JSON.stringify(user)]),
  );
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('put user', replyCode(reply), user.tenantId);
  const previous = String(reply[2] ?? '');
  ctx.directory.dropTenant(user.tenantId);
  if (previous) ctx.directory.dropNumber(previous);
  if (user.number) {
    const number = user.number;
    await ctx.guard.run('put_user', () => ctx.client.set(ctx.global.userByNumber(number), owner));
  }
  if (previous && previous !== user.number) await clearIndex(ctx, ctx.global.userByNumber(previous), owner);
}

export async function getUser(ctx: LedgerContext, tenantId: string, userId: string): Promise<User | null> {
  checkTenantId(tenantId);
  const json = await ctx.guard.run('get_user', () => ctx.client.hget(ctx.keys(tenantId).users, userId));
  return json ? (JSON.parse(json) as User) : null;
}

export async function deleteUser(ctx: LedgerContext, tenantId: string, userId: string): Promise<boolean> {
  checkTenantId(tenantId);
  check(userIdSchema, userId, 'user id');
  const k = ctx.keys(tenantId);
  const reply = await ctx.guard.run('delete_user', () => ctx.scripts.run('delete_user', [k.users, k.counts, k.account], [userId]));
  const previous = String(reply[2] ?? '');
  ctx.directory.dropTenant(tenantId);
  if (previous) ctx.directory.dropNumber(previous);
  if (previous) await clearIndex(ctx, ctx.global.userByNumber(previous), JSON.stringify([tenantId, userId]));
  return Number(reply[1]) === 1;
}

export async function listUsers(ctx: LedgerContext, tenantId: string): Promise<User[]> {
  checkTenantId(tenantId);
  const values = await ctx.guard.run('list_users', () => ctx.client.hvals(ctx.keys(tenantId).users));
  return values.map((v) => JSON.parse(v) as User).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function findUserByNumber(ctx: LedgerContext, e164: string): Promise<User | null> {
  checkE164(e164);
  const owner = await ctx.guard.run('find_user', () => ctx.client.get(ctx.global.userByNumber(e164)));
  if (!owner) return null;
  const [tenantId, userId] = JSON.parse(owner) as [string, string];
  const user = await getUser(ctx, tenantId, userId);
  // The index is written after the user; only the user's own record is the truth.
  return user && user.number === e164 ? user : null;
}

export async function putServiceNumber(ctx: LedgerContext, input: ServiceNumber): Promise<void> {
  const sn = check(serviceNumberSchema, input, 'service number');
  const holder = await getServiceNumber(ctx, sn.number);
  if (holder && holder.tenantId !== sn.tenantId) {
    throw new LedgerError('NUMBER_TAKEN', `${sn.number} is already a service number of tenant ${holder.tenantId}`);
  }
  const person = await findUserByNumber(ctx, sn.number);
  if (person) throw new LedgerError('NUMBER_TAKEN', `${sn.number} is assigned to user ${person.id} of tenant ${person.tenantId}`);
  const k = ctx.keys(sn.tenantId);
  const reply = await ctx.guard.run('put_service_number', () =>
    ctx.scripts.run('put_service_number', [k.tenant, k.numbers, k.account], [sn.number, JSON.stringify(sn)]),
  );
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('put service number', replyCode(reply), sn.tenantId);
  ctx.directory.dropTenant(sn.tenantId);
  await ctx.guard.run('put_service_number', () => ctx.client.set(ctx.global.serviceNumber(sn.number), sn.tenantId));
}

export async function getServiceNumber(ctx: LedgerContext, e164: string): Promise<ServiceNumber | null> {
  checkE164(e164);
  const tenantId = await ctx.guard.run('get_service_number', () => ctx.client.get(ctx.global.serviceNumber(e164)));
  if (!tenantId) return null;
  const json = await ctx.guard.run('get_service_number', () => ctx.client.hget(ctx.keys(tenantId).numbers, e164));
  return json ? (JSON.parse(json) as ServiceNumber) : null;
}

export async function deleteServiceNumber(ctx: LedgerContext, e164: string): Promise<boolean> {
  checkE164(e164);
  const tenantId = await ctx.guard.run('delete_service_number', () => ctx.client.get(ctx.global.serviceNumber(e164)));
  if (!tenantId) return false;
  const k = ctx.keys(tenantId);
  const reply = await ctx.guard.run('delete_service_number', () => ctx.scripts.run('delete_service_number', [k.numbers, k.account], [e164]));
  ctx.directory.dropTenant(tenantId);
  ctx.directory.dropNumber(e164);
  await clearIndex(ctx, ctx.global.serviceNumber(e164), tenantId);
  return Number(reply[1]) === 1;
}

export async function listServiceNumbers(ctx: LedgerContext, tenantId: string): Promise<ServiceNumber[]> {
  checkTenantId(tenantId);
  const values = await ctx.guard.run('list_service_numbers', () => ctx.client.hvals(ctx.keys(tenantId).numbers));
  return values.map((v) => JSON.parse(v) as ServiceNumber).sort((a, b) => (a.number < b.number ? -1 : 1));
}

/** Tenant, user and pool-sizing counts: this instance's directory cache, or one consistent read (load_payer.lua). */
export async function loadPayer(ctx: LedgerContext, tenantId: string, userId?: string, opts: PayerReadOptions = {}): Promise<PayerSnapshot | null> {
  checkTenantId(tenantId);
  return (await readPayer(ctx, 'load_payer', tenantId, userId, undefined, opts)).payer;
}

/**
 * The user a caller number is assigned to, with the payer snapshot: the
 * number index (cached once found), then readPayer. A cached index entry that
 * no longer leads to a user holding the number is read again fresh at once.
 */
export async function findPayerByNumber(
  ctx: LedgerContext,
  e164: string,
  opts: PayerReadOptions = {},
): Promise<(PayerSnapshot & { user: User }) | null> {
  checkE164(e164);
  const cachedOwner = opts.fresh ? undefined : ctx.directory.userOwner(e164);
  let owner = cachedOwner;
  if (!owner) {
    const json = await ctx.guard.run('find_user', () => ctx.client.get(ctx.global.userByNumber(e164)));
    if (!json) return null;
    owner = JSON.parse(json) as [string, string];
  }
  const [tenantId, userId] = owner;
  const { payer } = await readPayer(ctx, 'load_payer', tenantId, userId, undefined, opts);
  // The index is written after the user; only the user's own record is the truth.
  const user = payer?.user;
  if (payer && user && user.number === e164) {
    if (!cachedOwner) ctx.directory.storeUserOwner(e164, owner);
    return cachedOwner ? merged(payer, { user, cached: true }) : merged(payer, { user });
  }
  ctx.directory.dropNumber(e164);
  return cachedOwner || payer?.cached ? findPayerByNumber(ctx, e164, { fresh: true }) : null;
}

/**
 * A service number and its owner's payer snapshot (null when that tenant is
 * gone): the number index (cached once found), then readPayer with the number's record.
 */
export async function findServicePayer(
  ctx: LedgerContext,
  e164: string,
  opts: PayerReadOptions = {},
): Promise<{ service: ServiceNumber; payer: PayerSnapshot | null } | null> {
  checkE164(e164);
  const cachedOwner = opts.fresh ? undefined : ctx.directory.serviceOwner(e164);
  const tenantId = cachedOwner ?? (await ctx.guard.run('get_service_number', () => ctx.client.get(ctx.global.serviceNumber(e164))));
  if (!tenantId) return null;
  const { payer, service } = await readPayer(ctx, 'load_payer', tenantId, undefined, e164, opts);
  if (service) {
    if (!cachedOwner) ctx.directory.storeServiceOwner(e164, tenantId);
    return { service, payer: payer && cachedOwner ? merged(payer, { cached: true }) : payer };
  }
  ctx.directory.dropNumber(e164);
  return cachedOwner || payer?.cached ? findServicePayer(ctx, e164, { fresh: true }) : null;
}

function counted(flat: string[]): Pick<PayerSnapshot, 'planHolders' | 'audioConferencingLicences'> {
  const planHolders: Record<string, number> = {};
  let audioConferencingLicences = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    if (field.startsWith('plan:')) planHolders[field.slice(5)] = Number(flat[i + 1]);
    else if (field === 'licence:audioConferencing') audioConferencingLicences = Number(flat[i + 1]);
  }
  return { planHolders, audioConferencingLicences };
}

async function readPayer(
  ctx: LedgerContext,
  operation: string,
  tenantId: string,
  userId: string | undefined,
  serviceNumber: string | undefined,
  opts: PayerReadOptions,
): Promise<{ payer: PayerSnapshot | null; service?: ServiceNumber }> {
  if (!opts.fresh) {
    const hit = ctx.directory.tenant(tenantId);
    const user = hit && userId !== undefined ? hit.users.get(userId) : undefined;
    const service = hit && serviceNumber !== undefined ? hit.services.get(serviceNumber) : undefined;
    if (hit && (userId === undefined || user) && (serviceNumber === undefined || service)) {
      const payer: PayerSnapshot = {
        tenant: hit.tenant,
        planHolders: hit.planHolders,
        audioConferencingLicences: hit.audioConferencingLicences,
        version: hit.version,
        cached: true,
        ...(user ? { user } : {}),
      };
      return { payer, ...(service ? { service } : {}) };
    }
  }
  const k = ctx.keys(tenantId);
  const reply = await ctx.guard.run(operation, () =>
    ctx.scripts.run('load_payer', [k.tenant, k.counts, k.users, k.numbers, k.account], [userId ?? '', serviceNumber ?? '']),
  );
  const version = String(reply[1] ?? '');
  const tenantJson = reply[2] as string | null | false;
  const userJson = reply[4] as string | null | false;
  const serviceJson = reply[5] as string | null | false;
  const service = serviceJson ? (JSON.parse(serviceJson) as ServiceNumber) : undefined;
  if (!tenantJson) return { payer: null, ...(service ? { service } : {}) };
  const tenant = JSON.parse(tenantJson) as Tenant;
  const counts = counted((reply[3] ?? []) as string[]);
  const user = userJson ? (JSON.parse(userJson) as User) : undefined;
  ctx.directory.storeTenant(tenantId, { version, tenant, ...counts }, user, service);
  const payer: PayerSnapshot = { tenant, ...counts, version, ...(user ? { user } : {}) };
  return { payer, ...(service ? { service } : {}) };
}
