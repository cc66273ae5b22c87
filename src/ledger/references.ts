/**
 * The one limit for the ids that name money facts: call ids (a hold, its
 * settle and usage record), top-up references, and the references the API
 * takes. Derived references (a recharge's) are digests that always fit.
 */
export const MAX_REFERENCE_LENGTH = 256;

/** Printable ASCII without spaces, 1 to MAX_REFERENCE_LENGTH characters. */
export const REFERENCE_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_REFERENCE_LENGTH}}$`);

/** Why a reference cannot be used, or undefined. */
export function referenceProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty text';
  if (value.length > MAX_REFERENCE_LENGTH) return `must be at most ${MAX_REFERENCE_LENGTH} characters (it has ${value.length})`;
  if (!REFERENCE_PATTERN.test(value)) return 'must be printable ASCII characters without spaces';
  return undefined;
}
