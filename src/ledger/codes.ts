/**
 * The return codes of the ledger's Lua scripts (src/ledger/lua/*.lua): each
 * script's header lists the ones it returns, by these numbers and names.
 */
export enum ScriptCode {
  OK = 0,
  UNKNOWN_TENANT = 1,
  UNKNOWN_HOLD = 2,
  DUPLICATE_CALL = 3,
  NO_FUNDS = 4,
  POOL_EMPTY_NO_CREDITS = 5,
  BALANCE_NOT_POSITIVE = 6,
  CURRENCY_MISMATCH = 7,
  HOLD_ENDED = 8,
  NOT_EXPIRED = 9,
  KEYS_MISMATCH = 10,
  BAD_ARGUMENT = 11,
  CURRENCY_LOCKED = 12,
  TENANT_BUSY = 13,
  CLOCK_SKEW = 14,
  LIMIT_RATE = 15,
  LIMIT_CONCURRENT = 16,
  LIMIT_SPEND = 17,
  LIMIT_CALL_CHARGE = 18,
  ADMIN_EXISTS = 19,
  DIRECTORY_CHANGED = 20,
}
