/**
 * The zod schema of Tollgate's configuration file (config/tollgate.yaml).
 * Every key has a default where a safe one exists; the rest must be set.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { leaseTimingProblem, recoveryTimingProblem } from './lease-timing.js';

const port = z.number().int().min(1).max(65535);
const durationMs = z.number().int().min(1);
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "US"');
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as "EUR"');
const e164Prefix = z.string().regex(/^\d{1,15}$/, 'a dialing prefix of digits only, e.g. "44" or "1800"');
/** Where notices and recharge requests are POSTed: nothing but http(s) is ever fetched. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL, e.g. "https://billing.example.com/hook"' });
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'an IP address or CIDR such as "127.0.0.1" or "10.0.0.0/8"');

export const planSchema = z.strictObject({
  sku: z.string().min(1),
  name: z.string().min(1),
  /** Included domestic minutes per user per month. */
  domesticMinutes: z.number().int().min(0).default(0),
  /** Included international minutes per user per month. */
  internationalMinutes: z.number().int().min(0).default(0),
});

export const peerSchema = z.strictObject({
  name: z.string().min(1),
  /** trunk: a carrier (toll-free/toll inbound, outbound target); bridge: a conferencing bridge or PBX. */
  role: z.enum(['trunk', 'bridge']),
  addresses: z
    .array(
      cidr.refine((v) => {
        const [addr = '', len] = v.split('/');
        const family = isIP(addr);
        const width = family === 4 ? 32 : 128;
        return family !== 0 && (len === undefined || Number(len) <= width);
      }, 'an IPv4/IPv6 address, optionally with a prefix length up to 32 (IPv4) or 128 (IPv6)'),
    )
    .min(1),
  /** Source port the peer sends from; when set, only INVITEs from that port match (peers sharing one address). */
  port: port.optional(),
  /** For trunks: where outbound calls are sent (e.g. "sip:198.51.100.7:5060"). */
  uri: z.string().regex(/^sips?:/, 'a SIP URI such as "sip:127.0.0.1:5090"').optional(),
});

export const configSchema = z.strictObject({
  /** Names this gateway instance in holds and logs; default hostname-pid. */
  instanceId: z.string().min(1).optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Human-readable lines (pino-pretty) instead of JSON, for a person at a terminal. */
      pretty: z.boolean().default(false),
    })
    .prefault({}),
  redis: z
    .strictObject({
      url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
      /** Seed nodes of a Redis Cluster ("host:port"); when set, url is ignored. */
      clusterNodes: z.array(z.string().regex(/^[^:]+:\d+$/, '"host:port"')).default([]),
      keyPrefix: z.string().regex(/^[a-z0-9_-]+$/, 'lowercase letters, digits, _ or -').default('tg'),
      connectTimeoutMs: durationMs.default(2000),
      /** A command not answered in this time fails with a typed error (callers fail closed). */
      commandTimeoutMs: durationMs.default(1000),
      /**
       * Commands issued in the same event-loop turn go to Redis in one write (ioredis auto-pipelining). Off by default:
       * measured slower here with Redis on the same host (its pipeline bookkeeping costs more than the writes it saves);
       * for a Redis across a network. Single Redis and Sentinel; not a Cluster.
       */
      autoPipelining: z.boolean().default(false),
      /** Redis Sentinel ("host:port" of each sentinel) and the name of the master they watch; when set, url and clusterNodes are ignored. */
      sentinels: z.array(z.string().regex(/^[^:]+:\d+$/, '"host:port"')).default([]),
      masterName: z.string().min(1).optional(),
      /** Password (AUTH) of the Redis servers, and of the sentinels when they have one. */
      password: z.string().min(1).optional(),
      sentinelPassword: z.string().min(1).optional(),
      /** TLS to the Redis servers (and sentinels) of Sentinel and Cluster modes; a rediss:// url turns it on for a single Redis. */
      tls: z.boolean().default(false),
      /**
       * Replicas that must have a money change (settle, top-up, recharge credit) before it is acknowledged.
       * Default: 1 when the master has a replica, else 0.
       */
      minReplicasAcked: z.number().int().min(0).max(10).optional(),
      /** How long to wait for those replicas; past it the operation fails and is retried (it is idempotent). */
      replicaAckTimeoutMs: durationMs.default(500),
    })
    .prefault({})
    .superRefine((redis, ctx) => {
      if (redis.sentinels.length > 0 && redis.masterName === undefined) {
        ctx.addIssue({ code: 'custom', path: ['masterName'], message: 'the name of the master the sentinels watch is required with redis.sentinels' });
      }
      if (redis.sentinels.length > 0 && redis.clusterNodes.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'use redis.sentinels or redis.clusterNodes, not both' });
      }
    }),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** Bearer token of the admin API (/v1); at least 16 characters. */
      adminToken: z
        .string({ error: 'required: a token of at least 16 characters (or set TOLLGATE_ADMIN_TOKEN)' })
        .min(16, 'at least 16 characters (set TOLLGATE_ADMIN_TOKEN)'),
    })
    // An empty file then names the one key without a default, not its section
    // (the cast: prefault's type wants a complete value; zod still checks adminToken).
    .prefault({} as { adminToken: string }),
  rates: z
    .strictObject({
      dir: z.string().default('rates'),
      /** Reload when a file under dir changes (SIGHUP always reloads). */
      watch: z.boolean().default(true),
    })
    .prefault({}),
  plans: z.array(planSchema).default([
    { sku: 'DOMESTIC', name: 'Domestic Calling Plan', domesticMinutes: 3000, internationalMinutes: 0 },
    { sku: 'DOMESTIC_INTERNATIONAL', name: 'Domestic and International Calling Plan', domesticMinutes: 3000, internationalMinutes: 600 },
    { sku: 'PAYG', name: 'Pay-As-You-Go Calling Plan', domesticMinutes: 0, internationalMinutes: 0 },
  ]),
  conferencing: z
    .strictObject({
      /** Dial-out minutes per Audio Conferencing licence per month (Zone A destinations). */
      dialOutMinutesPerLicence: z.number().int().min(0).default(60),
    })
    .prefault({}),
  calls: z
    .strictObject({
      /** Seconds funded per hold slice; extensions take the next slice. */
      sliceSeconds: z.number().int().min(1).max(3600).default(60),
      /** Seconds before the funded end at which the next slice is requested. */
      extendAheadSeconds: z.number().int().min(1).default(10),
      /** Lease of a hold: a hold not renewed within this time belongs to a lost instance. */
      leaseSeconds: z.number().int().min(5).default(30),
      recoveryIntervalMs: durationMs.default(5000),
      /** How often each instance looks for effects (recharges due, notices) in the ledger's outbox. */
      effectsPollMs: durationMs.default(1000),
      /** When Redis is unreachable: reject calls (false, default) or let them through unbilled. */
      failOpen: z.boolean().default(false),
      /** Refuse new calls at once (503 OVERLOADED) while the instance is past one of these; 0 turns a measure off. */
      overload: z
        .strictObject({
          /** Past it a share of new calls is refused, from none at the limit to all at 1.5 × it. */
          maxEventLoopLagMs: z.number().int().min(0).max(10_000).default(75),
          /** The stall guard (a stalled ledger completes nothing, so the latency below cannot rise): above the 500 ms × 2,000 calls/s a healthy instance can have deciding. */
          maxAdmissionsInFlight: z.number().int().min(0).max(1_000_000).default(1000),
          maxAdmissionLatencyMs: z.number().int().min(0).max(60_000).default(500),
          /** Set it from this instance's measured clean rate (bench/sip-throughput.ts); 0 = no limit. */
          maxCallsPerSecond: z.number().int().min(0).max(1_000_000).default(0),
        })
        .prefault({}),
    })
    .prefault({}),
  ledger: z
    .strictObject({
      /** Usage records older than this are trimmed from Redis (export them before). */
      usageRetentionDays: z.number().int().min(1).default(400),
      /** How far an instance's clock may be from Redis time before the ledger refuses its requests. */
      maxClockSkewSeconds: z.number().int().min(1).max(86_400).default(600),
      /** Directory entries (tenants, users, service numbers, number index) each instance keeps for admission; 0 reads Redis every call. */
      directoryCacheEntries: z.number().int().min(0).max(10_000_000).default(20_000),
    })
    .prefault({}),
  postgres: z
    .strictObject({
      /** The store of record for usage records and the balance journal (src/history); history stays in Redis without it. */
      url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL').optional(),
      /** Connections of this instance's pool (writer, exports, statements). */
      poolSize: z.number().int().min(1).max(100).default(4),
      /** Entries written per transaction by the history writer. */
      batchSize: z.number().int().min(1).max(10_000).default(500),
      /** How often the writer looks for history waiting in Redis. */
      pollMs: durationMs.default(500),
      /** A statement not done in this time fails (the entries stay in Redis and are written later). */
      statementTimeoutMs: durationMs.default(10_000),
      connectTimeoutMs: durationMs.default(3000),
    })
    .prefault({}),
  drachtio: z
    .strictObject({
      /** false: no drachtio-server front (e.g. Kamailio only); /readyz then does not check it. */
      enabled: z.boolean().default(true),
      /** inbound: the gateway connects to drachtio-server; outbound: drachtio-server connects to the gateway. */
      mode: z.enum(['inbound', 'outbound']).default('inbound'),
      host: z.string().default('127.0.0.1'),
      port: port.default(9022),
      secret: z.string().default('cymru'),
      /** Outbound mode: the address and port the gateway listens on for drachtio-server. */
      listenHost: z.string().default('127.0.0.1'),
      listenPort: port.default(3000),
      reconnectMaxMs: durationMs.default(10_000),
      /**
       * Inbound mode: several drachtio-servers, each "host:port" (secret as above); when set, host and
       * port are ignored. Losing one ends only the calls it carried.
       */
      servers: z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, '"host:port", e.g. "127.0.0.1:9022"')).default([]),
    })
    .prefault({}),
  kamailio: z
    .strictObject({
      /** Bearer token of the call-control API (/v1/control) a SIP platform calls; the API is off without one. */
      controlToken: z.string().min(16, 'at least 16 characters (set TOLLGATE_CONTROL_TOKEN)').optional(),
      /** Kamailio's JSON-RPC endpoint (jsonrpcs over xhttp), where Tollgate ends dialogs (dlg.end_dlg). */
      rpcUrl: httpUrl.default('http://127.0.0.1:5071/RPC'),
      rpcTimeoutMs: durationMs.default(2000),
      /**
       * Kamailios to take calls from over evapi (one TCP connection each, Tollgate connecting):
       * their TOLLGATE_EVAPI_BIND and JSON-RPC (rpcUrl above when absent). Empty: HTTP only.
       */
      evapi: z
        .array(
          z.strictObject({
            host: z.string().min(1, 'the address of Kamailio\'s evapi socket (its TOLLGATE_EVAPI_BIND), e.g. "127.0.0.1"'),
            port: port.describe('the port of its TOLLGATE_EVAPI_BIND'),
            rpcUrl: httpUrl.optional(),
          }),
          { error: 'a list of {host, port, rpcUrl?}, one per Kamailio, e.g. [{host: "127.0.0.1", port: 8448}]' },
        )
        .max(32)
        .default([]),
      /** How often the calls taken over evapi are checked against Kamailio's dialog list (dlg.briefing). */
      reconcileIntervalMs: durationMs.default(5000),
    })
    .refine((k) => k.evapi.length === 0 || k.controlToken !== undefined, {
      error: 'kamailio.evapi needs kamailio.controlToken (the token Tollgate says hello with; TOLLGATE_TOKEN in Kamailio)',
      path: ['controlToken'],
    })
    .prefault({}),
  sip: z
    .strictObject({
      peers: z.array(peerSchema).default([]),
      /** Outbound routing: longest prefix wins; default trunk otherwise. */
      routes: z.array(z.strictObject({ prefix: e164Prefix, trunk: z.string().min(1) })).default([]),
      defaultTrunk: z.string().min(1).optional(),
      headers: z
    .strictObject({
          tenant: z.string().default('X-Tollgate-Tenant'),
          user: z.string().default('X-Tollgate-User'),
          organizer: z.string().default('X-Tollgate-Organizer'),
          callType: z.string().default('X-Tollgate-Call-Type'),
          conference: z.string().default('X-Tollgate-Conference'),
          reason: z.string().default('X-Tollgate-Reason'),
        })
        .prefault({}),
      retryAfterSeconds: z.number().int().min(1).default(30),
      /** How a call refused for a concurrent-call limit is answered: 486 Busy Here, or 503 (with Retry-After). */
      concurrentLimitStatus: z.union([z.literal(486), z.literal(503)]).default(486),
      /** On shutdown, stop admitting and wait up to this long for live calls. */
      drainSeconds: z.number().int().min(0).default(30),
    })
    .prefault({})
    .superRefine((sip, ctx) => {
      // Routing mistakes surface at `config check`, not as calls that cannot leave.
      const names = new Set<string>();
      sip.peers.forEach((peer, i) => {
        if (names.has(peer.name)) ctx.addIssue({ code: 'custom', path: ['peers', i, 'name'], message: `peer name "${peer.name}" is used twice` });
        names.add(peer.name);
        if (peer.role === 'trunk' && peer.uri === undefined && (sip.defaultTrunk === peer.name || sip.routes.some((r) => r.trunk === peer.name))) {
          ctx.addIssue({ code: 'custom', path: ['peers', i, 'uri'], message: `trunk "${peer.name}" is routed to but has no uri` });
        }
      });
      const isTrunk = (name: string) => sip.peers.some((p) => p.name === name && p.role === 'trunk');
      sip.routes.forEach((route, i) => {
        if (!isTrunk(route.trunk)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'trunk'], message: `"${route.trunk}" is not a trunk in sip.peers` });
      });
      if (sip.defaultTrunk !== undefined && !isTrunk(sip.defaultTrunk)) {
        ctx.addIssue({ code: 'custom', path: ['defaultTrunk'], message: `"${sip.defaultTrunk}" is not a trunk in sip.peers` });
      }
      for (const [key, name] of Object.entries(sip.headers)) {
        if (!/^[A-Za-z0-9-]+$/.test(name)) ctx.addIssue({ code: 'custom', path: ['headers', key], message: `"${name}" is not a SIP header name (letters, digits, -)` });
      }
    }),
  payments: z
    .strictObject({
      /** manual: no provider, only notices; http: POST recharge requests to url. */
      provider: z.enum(['manual', 'http']).default('manual'),
      url: httpUrl.optional(),
      token: z.string().optional(),
      timeoutMs: durationMs.default(5000),
      retries: z.number().int().min(0).max(10).default(3),
    })
    .prefault({})
    .refine((p) => p.provider !== 'http' || p.url !== undefined, {
      message: 'payments.url is required when payments.provider is "http"',
      path: ['url'],
    }),
  notify: z
    .strictObject({
      webhooks: z.array(z.strictObject({ url: httpUrl, secret: z.string().min(8) })).default([]),
      smtp: z
    .strictObject({
          host: z.string(),
          port: port.default(587),
          secure: z.boolean().default(false),
          user: z.string().optional(),
          password: z.string().optional(),
          from: z.string().min(3),
          /** Recipients of every notice, besides a tenant's own notice address. */
          to: z.array(z.string().min(3)).default([]),
        })
        .optional(),
      retries: z.number().int().min(0).max(10).default(5),
    })
    .prefault({}),
  portal: z
    .strictObject({
      /** The tenant admins' web pages under /portal and their sign-in (README "Portal"). */
      enabled: z.boolean().default(true),
      /** A session unused this long is signed out. */
      sessionIdleMinutes: z.number().int().min(1).max(24 * 60).default(30),
      /** A session ends this long after sign-in, used or not. */
      sessionMaxHours: z.number().int().min(1).max(30 * 24).default(12),
      /** Failed sign-ins per e-mail address, then per client address, within loginWindowSeconds before sign-in is refused (429). */
      loginFailuresPerAccount: z.number().int().min(1).max(1000).default(5),
      loginFailuresPerAddress: z.number().int().min(1).max(100_000).default(50),
      loginWindowSeconds: z.number().int().min(10).max(86_400).default(900),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Label per-call metrics with the tenant id; keep off with many tenants. */
      tenantLabels: z.boolean().default(false),
    })
    .prefault({}),
}).superRefine((config, ctx) => {
  // A call whose lease cannot be renewed is cut before it expires: the timing must leave room for that.
  const redisOperationMs = config.redis.connectTimeoutMs + 2 * config.redis.commandTimeoutMs;
  const problem = leaseTimingProblem(config.calls.leaseSeconds, redisOperationMs);
  if (problem) ctx.addIssue({ code: 'custom', path: ['calls', 'leaseSeconds'], message: problem });
  const recovery = recoveryTimingProblem(config.calls.leaseSeconds, config.calls.recoveryIntervalMs);
  if (!problem && recovery) ctx.addIssue({ code: 'custom', path: ['calls', 'recoveryIntervalMs'], message: recovery });
  if (config.calls.extendAheadSeconds >= config.calls.sliceSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['calls', 'extendAheadSeconds'],
      message: `${config.calls.extendAheadSeconds} s must be shorter than calls.sliceSeconds (${config.calls.sliceSeconds} s): each slice is requested that long before the last one ends`,
    });
  }
});

export type Config = z.infer<typeof configSchema>;
export type PlanConfig = z.infer<typeof planSchema>;
export type PeerConfig = z.infer<typeof peerSchema>;
export { countryCode, currencyCode };
