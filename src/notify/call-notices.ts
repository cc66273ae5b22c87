/**
 * Turns the events a settled call raises (balance depleted, dial-out pool
 * 80/100 %) into notices, adding the tenant's name and notice address.
 */
import type { PoolRef, Tenant } from '../domain.js';
import type { Logger } from '../log.js';
import { balanceDepletedNotice, dialOutPoolNotice, limitReachedNotice, type NoticeTenant } from './notices.js';
import type { Notice, Notifier } from './types.js';

export type CallEvent =
  | { kind: 'balance_depleted'; tenantId: string; balance: number; currency: string; atMs: number; callId: string }
  | { kind: 'dialout_pool'; tenantId: string; percent: 80 | 100; pool: PoolRef; atMs: number; callId: string }
  | { kind: 'limit_reached'; tenantId: string; limit: string; userId?: string; eventId: string; atMs: number };

export interface CallNoticeSinkOptions {
  notifier: Pick<Notifier, 'notify'>;
  loadTenant: (tenantId: string) => Promise<Tenant | null>;
  logger: Logger;
}

export function createCallNoticeSink(opts: CallNoticeSinkOptions): { notify(event: CallEvent): Promise<void> } {
  return {
    async notify(event) {
      let tenant: NoticeTenant = { id: event.tenantId, currency: event.kind === 'balance_depleted' ? event.currency : '' };
      try {
        tenant = (await opts.loadTenant(event.tenantId)) ?? tenant;
      } catch (err) {
        // Without the tenant record the notice still goes out, to webhooks and notify.smtp.to.
        opts.logger.warn({ err, tenantId: event.tenantId }, 'cannot load tenant for a notice; sending it without name and address');
      }
      let notice: Notice | undefined;
      if (event.kind === 'balance_depleted') {
        notice = balanceDepletedNotice(tenant, { callId: event.callId, balance: event.balance, atMs: event.atMs });
      } else if (event.kind === 'limit_reached') {
        notice = limitReachedNotice(tenant, event);
      } else if (event.pool.kind === 'dialout') {
        notice = dialOutPoolNotice(tenant, { month: event.pool.month, percent: event.percent, sizeSeconds: event.pool.sizeSeconds, atMs: event.atMs });
      }
      if (notice) opts.notifier.notify(notice);
    },
  };
}
