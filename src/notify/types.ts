/**
 * Notices a tenant receives (DOMAIN.md rule 26) and the notifier contract:
 * fire-and-forget for the caller, each event delivered once per event id.
 */

export type NoticeKind =
  | 'recharge_requested'
  | 'recharge_succeeded'
  | 'recharge_failed'
  | 'balance_depleted'
  | 'dialout_pool_80'
  | 'dialout_pool_100'
  | 'limit_reached';

export interface Notice {
  /** Event id: the same event always has the same id, so it is sent once ("kind:tenant:discriminator"). */
  id: string;
  kind: NoticeKind;
  tenantId: string;
  tenantName?: string;
  /** When the event happened (UTC ms). */
  occurredAt: number;
  /** The tenant's own notice address, mailed besides notify.smtp.to. */
  email?: string;
  /** The tenant's own webhook, posted besides notify.webhooks (under the tenant webhook policy). */
  webhook?: { url: string; secret: string };
  /** Kind-specific facts; money as decimal text in `currency`. */
  details: Record<string, string | number>;
}

/**
 * Cross-instance "first one wins" for an event id, e.g. Redis SET NX: returns
 * true when this instance may send the notice, false when another already did.
 */
export type ClaimNotice = (notice: Notice) => Promise<boolean>;

export interface Notifier {
  /** Queues the notice for every channel and returns at once; never throws. */
  notify(notice: Notice): void;
  /** Resolves when every queued delivery has succeeded or given up. */
  flush(): Promise<void>;
  /** Refuses new notices, cuts pending backoffs short, waits for deliveries in flight. */
  close(): Promise<void>;
}
