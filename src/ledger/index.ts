/**
 * The ledger's public surface: the contract types, the Redis implementation
 * and its errors.
 */
export * from './types.js';
export { createLedger, ledgerOptionsFromConfig, type LedgerOptions, type RedisLedger } from './redis-ledger.js';
export { LedgerError, type LedgerErrorCode } from './errors.js';
export { poolId, tenantKeys, globalKeys } from './keys.js';
export { utcMonthOf } from './accounts.js';
