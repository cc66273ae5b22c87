/**
 * Call tokens (the platform's handle on an admitted call): 128 random bits
 * each, base64url (22 characters), cut from a pool the system CSPRNG fills
 * 256 tokens at a time — one getrandom call per 256 calls instead of one per
 * call, which under load is a system call the admission path does not need.
 * A token's bytes are wiped from the pool once it is handed out.
 */
import { randomFillSync } from 'node:crypto';

const TOKEN_BYTES = 16;
const POOL_TOKENS = 256;
const pool = Buffer.alloc(TOKEN_BYTES * POOL_TOKENS);
let offset = pool.length;

export function newCallToken(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + TOKEN_BYTES);
  pool.fill(0, offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}
