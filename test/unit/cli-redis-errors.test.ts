/**
 * A command that cannot reach Redis names the Redis it tried (URL without its
 * password, or the cluster nodes), so a wrong REDIS_URL is seen at once.
 */
import { describe, expect, it } from 'vitest';
import { tollgateSync } from '../support/cli.js';

// Port 1: privileged and unused, so the connection is refused at once.
const DOWN = 'redis://:s3cret-pass@127.0.0.1:1';

describe('CLI Redis errors', () => {
  it('usage export names the Redis URL, without the password', () => {
    const r = tollgateSync(['usage', 'export', '--tenant', 'acme', '--from', '2025-01-01', '--to', '2025-02-01'], { env: { REDIS_URL: DOWN } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Redis at redis://:***@127.0.0.1:1');
    expect(r.stderr).not.toContain('s3cret-pass');
  });

  it('provision import names it too', () => {
    const r = tollgateSync(['provision', 'import', 'config/demo-provisioning.yaml'], { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Redis at redis://127.0.0.1:1');
  });

  it('simulate --redis URL names it', () => {
    const r = tollgateSync(['simulate', '--calls', '1', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Redis at redis://127.0.0.1:1');
  });
});
