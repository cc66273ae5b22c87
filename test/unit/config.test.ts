import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-'));
  madeDirs.push(dir);
  const file = join(dir, 'tollgate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('config', () => {
  it('loads the demo configuration', () => {
    const config = loadConfig('config/tollgate.yaml', {});
    expect(config.http.port).toBe(8080);
    expect(config.calls.sliceSeconds).toBe(60);
    expect(config.plans.map((p) => p.sku)).toContain('DOMESTIC');
  });

  it('applies environment overrides', () => {
    const config = loadConfig('config/tollgate.yaml', {
      REDIS_URL: 'redis://10.1.2.3:7000',
      TOLLGATE_HTTP_PORT: '9999',
      TOLLGATE_ADMIN_TOKEN: 'a-much-longer-admin-token',
      TOLLGATE_DRACHTIO_SECRET: 's3cret',
    });
    expect(config.redis.url).toBe('redis://10.1.2.3:7000');
    expect(config.http.port).toBe(9999);
    expect(config.http.adminToken).toBe('a-much-longer-admin-token');
    expect(config.drachtio.secret).toBe('s3cret');
  });

  it('names every bad key, one line per problem', () => {
    const file = writeConfig(
      'http:\n  port: 70000\n  adminToken: short\nredis:\n  url: http://x\ncalls:\n  slicSeconds: 5\n',
    );
    try {
      loadConfig(file, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems.some((p) => p.startsWith('http.port:'))).toBe(true);
      expect(problems.some((p) => p.startsWith('http.adminToken:') && p.includes('16'))).toBe(true);
      expect(problems.some((p) => p.startsWith('redis.url:') && p.includes('redis://'))).toBe(true);
      expect(problems.some((p) => p.startsWith('calls:') && p.includes('slicSeconds'))).toBe(true);
    }
  });

  it('takes the Kamailios to reach over evapi from TOLLGATE_KAMAILIO_EVAPI', () => {
    const config = loadConfig('config/tollgate.yaml', {
      TOLLGATE_CONTROL_TOKEN: 'a-control-token-of-length',
      TOLLGATE_KAMAILIO_EVAPI: '127.0.0.1:8448, 10.0.0.7:9000',
    });
    expect(config.kamailio.evapi).toEqual([{ host: '127.0.0.1', port: 8448 }, { host: '10.0.0.7', port: 9000 }]);
    expect(() => loadConfig('config/tollgate.yaml', { TOLLGATE_CONTROL_TOKEN: 'a-control-token-of-length', TOLLGATE_KAMAILIO_EVAPI: '127.0.0.1' })).toThrow(
      /TOLLGATE_KAMAILIO_EVAPI \(kamailio\.evapi\): expected host:port\[,host:port…\], e\.g\. 127\.0\.0\.1:8448, got "127\.0\.0\.1"/,
    );
    expect(() => loadConfig('config/tollgate.yaml', { TOLLGATE_CONTROL_TOKEN: 'a-control-token-of-length', TOLLGATE_KAMAILIO_EVAPI: 'k1:99999' })).toThrow(/got "k1:99999"/);
    // Without the token Kamailio checks, evapi is refused at start-up as in the file.
    expect(() => loadConfig('config/tollgate.yaml', { TOLLGATE_KAMAILIO_EVAPI: '127.0.0.1:8448' })).toThrow(/kamailio\.evapi needs kamailio\.controlToken/);
  });

  it('rejects a bad environment override by name', () => {
    expect(() => loadConfig('config/tollgate.yaml', { TOLLGATE_HTTP_PORT: 'eighty' })).toThrow(/TOLLGATE_HTTP_PORT/);
  });

  it('reports a missing file and broken YAML plainly', () => {
    expect(() => loadConfig('/nonexistent/tollgate.yaml', {})).toThrow(/cannot read the config file/);
    expect(() => loadConfig(writeConfig('redis: [\n'), {})).toThrow(/not valid YAML/);
  });
});
