/**
 * The compose file and the image, as an operator deploys them: every image is
 * pinned to a version, drachtio-server advertises the address callers reach
 * (not the container's), and the image holds compiled src/ only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO } from '../support/cli.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
type Service = { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string> };
const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('pins every pulled image to a version, never :latest or no tag', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build !== undefined) continue; // built here: tollgate itself
      expect(service.image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });

  it('drachtio-server advertises SIP_EXTERNAL_IP in Contact and Via, not its container address', () => {
    const command = compose.services.drachtio?.command ?? [];
    const contact = command.indexOf('--contact');
    expect(contact).toBeGreaterThan(0);
    // drachtio takes --external-ip for the --contact before it.
    expect(command[contact + 2]).toBe('--external-ip');
    expect(command[contact + 3]).toMatch(/^\$\{SIP_EXTERNAL_IP:\?.+\}$/);
  });
});

describe('the image', () => {
  it('builds with tsconfig.build.json, which compiles src/ only (no test/ or bench/ in dist)', () => {
    const docker = read('Dockerfile');
    expect(docker).not.toMatch(/^COPY (test|bench)\b/m);
    expect(docker).toMatch(/^COPY tsconfig\.json tsconfig\.build\.json \.\/$/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    const files = execFileSync(process.execPath, [`${REPO}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.startsWith(REPO) && !f.includes('/node_modules/'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) expect(f.slice(REPO.length)).toMatch(/^src\//);
  });
});
