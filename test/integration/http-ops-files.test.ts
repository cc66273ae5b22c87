/**
 * The operations files stay true to the code: every metric the Grafana
 * dashboard queries exists, Prometheus scrapes /metrics, Redis runs with AOF.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/metrics.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('operations files', () => {
  it('the dashboard queries only metrics the gateway exports', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const dashboard = JSON.parse(read('config/grafana-dashboard.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const titles = dashboard.panels.map((p) => p.title);
    for (const wanted of ['Call decisions by reason', 'Active calls', 'Authorize latency p99', 'Charged money per hour', 'Cut-offs', 'Redis errors by operation']) {
      expect(titles).toContain(wanted);
    }
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        for (const m of t.expr.matchAll(/\btollgate_[a-z_]+/g)) used.add(m[0].replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) expect(exported, `dashboard uses ${name}`).toContain(name);
  });

  it('prometheus scrapes the gateway /metrics, and compose runs Redis with AOF and the drachtio config', () => {
    const prom = parseYaml(read('config/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }> };
    const job = prom.scrape_configs.find((j) => j.job_name === 'tollgate');
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toContain('tollgate:8080');

    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { command?: string[]; image?: string; volumes?: string[]; environment?: Record<string, string> }> };
    expect(compose.services.redis?.command).toEqual(['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec']);
    expect(compose.services.drachtio?.image).toMatch(/^drachtio\/drachtio-server/);
    expect(compose.services.drachtio?.volumes).toContain('./config/drachtio.conf.xml:/etc/drachtio.conf.xml:ro');
    expect(compose.services.tollgate?.environment?.TOLLGATE_DRACHTIO_HOST).toBe('drachtio');

    const xml = read('config/drachtio.conf.xml');
    expect(xml).toMatch(/<admin port="9022"[^>]*>0\.0\.0\.0<\/admin>/);
    expect(xml).toContain('<contact>sip:*:5060;transport=udp,tcp</contact>');
  });

  it('the image builds with npm ci, runs production deps as non-root, and checks /healthz', () => {
    const docker = read('Dockerfile');
    expect(docker).toMatch(/FROM node:20-bookworm-slim AS build[\s\S]*RUN npm ci[\s\S]*RUN npm run build/);
    expect(docker).toMatch(/FROM node:20-bookworm-slim AS runtime[\s\S]*npm ci --omit=dev/);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(docker).toContain('CMD ["node", "dist/src/cli.js", "run"]');
  });
});
