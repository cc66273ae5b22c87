/**
 * Password hashing of tenant admin accounts: argon2id (@node-rs/argon2,
 * prebuilt, no native build) with the OWASP parameters (19 MiB, 2 passes).
 * Only the PHC string is stored; a sign-in for an unknown address still
 * verifies against a hash, so the answer takes the same time either way.
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';

const PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

let decoy: Promise<string> | undefined;

/** True when password matches the stored hash; with no hash (unknown account) verifies a decoy and answers false. */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (stored === undefined) {
    decoy ??= hash('decoy password that matches nothing', PARAMS);
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
