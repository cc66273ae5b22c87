/**
 * Call tokens come from a pooled CSPRNG buffer: each is 16 random bytes as
 * base64url, none repeats (also across the pool's refills), and no token's
 * bytes are handed out twice.
 */
import { describe, expect, it } from 'vitest';
import { newCallToken } from '../../src/kamailio/call-token.js';

describe('call tokens', () => {
  it('are 22 base64url characters of 16 bytes, all different over many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const t = newCallToken();
      expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(t, 'base64url')).toHaveLength(16);
      seen.add(t);
    }
    expect(seen.size).toBe(20_000);
  });

  it('are not the wiped (all-zero) bytes of a used slot', () => {
    const zero = Buffer.alloc(16).toString('base64url');
    for (let i = 0; i < 1000; i++) expect(newCallToken()).not.toBe(zero);
  });

  it('spread their bits: each of the 128 bit positions is set in about half of 4,096 tokens', () => {
    const ones = new Array<number>(128).fill(0);
    const n = 4096;
    for (let i = 0; i < n; i++) {
      const b = Buffer.from(newCallToken(), 'base64url');
      for (let bit = 0; bit < 128; bit++) if (b[bit >> 3]! & (1 << (bit & 7))) ones[bit]!++;
    }
    // Binomial(4096, 0.5): sd 32; 6 sd either side never fails by chance in practice.
    for (const c of ones) expect(Math.abs(c - n / 2)).toBeLessThan(192);
  });
});
